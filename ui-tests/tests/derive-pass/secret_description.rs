// Supported: `#[secret(description = "...")]`, which documents the type in
// `secrets_core::audit`, beside its path, storage, size and live count.

use secrets_core::audit;
use secrets_core::prelude::*;

#[derive(Secret)]
#[secret(description = "the vault's master key; rotated yearly")]
pub struct MasterKey(SecretBox<[u8; 32]>);

fn main() -> Result<(), secrets_core::Error> {
    let _key = MasterKey::random()?;
    let types = audit::types();
    let entry = types.iter().find(|t| t.name() == "MasterKey").unwrap();
    assert_eq!(
        entry.description(),
        Some("the vault's master key; rotated yearly")
    );
    assert_eq!(entry.storage(), "SecretBox<[u8; 32]>");
    assert_eq!(entry.placement(), Some("dedicated"));
    assert_eq!(entry.size(), Some(32));
    assert_eq!(entry.live(), 1);
    Ok(())
}
