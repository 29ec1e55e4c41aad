// A `#[derive(Secret)]` type, generic or not, deserializes (feature `serde`) and can sit in a
// `#[derive(Deserialize)]` struct with its `Serialize` side skipped.

use secrets_core::prelude::*;
use secrets_core::Storage;

#[derive(Secret)]
struct MasterKey(SecretBox<[u8; 32]>);

#[derive(Secret)]
struct AnyStorage<S: Storage>(SecretBox<[u8; 16], S>);

#[derive(serde::Deserialize, serde::Serialize)]
struct Config {
    name: String,
    #[serde(skip_serializing)]
    key: MasterKey,
    #[serde(skip_serializing)]
    other: AnyStorage<secrets_core::Dedicated>,
}

fn main() {
    let config: Config = serde_json::from_str(
        r#"{"name": "n", "key": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],
            "other": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}"#,
    )
    .unwrap();
    let _ = serde_json::to_string(&config).unwrap();
}
