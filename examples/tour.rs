//! The tour: every type of `secrets-core`, end to end, with the protection each relies on.
//!
//! Run it with `cargo run --example tour`.

use secrets_core::{Error, Secret, SecretBox, SecretString, SecretVec};

fn main() -> Result<(), Error> {
    println!("secrets tour\n");

    // A master key: 32 random bytes in guarded memory, PROT_NONE whenever it is not borrowed.
    let mut master = SecretBox::<[u8; 32]>::random()?;
    println!("1. master key   {master:?}");
    println!("   locked (mlock), excluded from core dumps, guard pages around, PROT_NONE at rest");
    {
        let key = master.borrow();
        println!(
            "   borrowed read-only: {} bytes readable while the Ref lives",
            key.len()
        );
    }
    master.borrow_mut()[31] ^= 0x80;
    println!("   borrowed read-write once to flip a bit; back to PROT_NONE");

    // Constant-time equality.
    let other = SecretBox::<[u8; 32]>::random()?;
    println!(
        "2. equality     master == other: {} (constant time, sodium_memcmp)",
        master == other
    );

    // A seed whose length is chosen at run time; never reallocated.
    let seed = SecretVec::<u8>::random(64)?;
    println!(
        "3. seed         {seed:?}, {} bytes, fixed length",
        seed.len()
    );

    // A password, moved out of an ordinary buffer that is zeroed on the way.
    let mut typed = b"correct horse battery staple".to_vec();
    let password = SecretString::from_bytes(&mut typed)?;
    println!(
        "4. password     {password:?}, {} bytes; the source buffer is now all zeros: {}",
        password.len(),
        typed.iter().all(|&b| b == 0)
    );

    // A wrong-length input is a typed error that names the lengths, never the bytes.
    let mut short = [7u8; 5];
    match SecretBox::<[u8; 32]>::from_bytes(&mut short) {
        Err(err) => println!("5. bad input    {err}"),
        Ok(_) => println!("5. bad input    unexpectedly accepted"),
    }

    // A stack secret: lives only inside the closure, zeroed when it returns or unwinds.
    let parity = Secret::<[u8; 32]>::random(|ephemeral| {
        ephemeral.iter().fold(0u8, |acc, b| acc ^ b).count_ones() % 2
    })?;
    println!("6. stack secret used inside its closure (parity {parity}); zeroed and unlocked now");

    println!("\nAll secrets are zeroed before their memory is released.");
    Ok(())
}
