// What `#[derive(Secret)]` emits for
// `pub struct MasterKey(SecretBox<[u8; 32]>);`,
// checked by `secret::tests` in `src/secret.rs`. Regenerate with
// `SECRETS_EXPAND=overwrite cargo test -p secrets-derive`.
const _: () = {
    #[allow(non_upper_case_globals)]
    static __SECRETS_LIVE_MasterKey: ::secrets_core::audit::LiveCount =
        ::secrets_core::audit::LiveCount::new();
    ::secrets_core::__private::inventory::submit! { :: secrets_core :: audit :: SecretType :: new ("MasterKey" , :: core :: module_path ! () , "SecretBox<[u8; 32]>" , :: core :: option :: Option :: Some (:: secrets_core :: __private :: placement_of :: < MasterKey > ()) , :: secrets_core :: __private :: size_of_secret :: < MasterKey > () , :: core :: option :: Option :: Some ("the vault's master key") , & __SECRETS_LIVE_MasterKey ,) }
    #[automatically_derived]
    impl ::secrets_core::__private::ImplementedByDeriveSecret for MasterKey {
        fn only_derive_is_allowed_to_implement_this_trait() {}
    }
    #[automatically_derived]
    impl ::secrets_core::SecretType for MasterKey {
        type Storage = SecretBox<[u8; 32]>;
        fn __wrap(storage: SecretBox<[u8; 32]>) -> Self {
            __SECRETS_LIVE_MasterKey.increment();
            Self(storage)
        }
        fn __storage(&self) -> &SecretBox<[u8; 32]> {
            &self.0
        }
        fn __storage_mut(&mut self) -> &mut SecretBox<[u8; 32]> {
            &mut self.0
        }
    }
    #[automatically_derived]
    impl MasterKey {
        #[doc = r" Refused: found before `Clone::clone`, so `key.clone()` reports why."]
        #[doc(hidden)]
        #[allow(clippy::should_implement_trait)]
        pub fn clone<'__secrets_clone>(&'__secrets_clone self) -> Self
        where
            &'__secrets_clone Self: ::secrets_core::__private::SecretsCannotBeCloned,
        {
            ::core::unreachable!("secret types cannot be cloned; this bound never holds")
        }
    }
    #[automatically_derived]
    impl ::core::ops::Drop for MasterKey {
        fn drop(&mut self) {
            __SECRETS_LIVE_MasterKey.decrement();
        }
    }
    #[automatically_derived]
    impl ::core::cmp::PartialEq for MasterKey {
        #[doc = r" Compares the two secrets in constant time (the container's `==`)."]
        fn eq(&self, other: &Self) -> bool {
            self.0 == other.0
        }
    }
    #[automatically_derived]
    impl ::core::cmp::Eq for MasterKey {}
    #[automatically_derived]
    impl ::core::fmt::Debug for MasterKey {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            f.write_str("MasterKey([REDACTED])")
        }
    }
    #[doc(hidden)]
    impl<'__secrets_display> ::core::fmt::Display for MasterKey
    where
        &'__secrets_display MasterKey: ::secrets_core::__private::SecretsCannotBePrinted,
    {
        fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
            ::core::fmt::Debug::fmt(self, f)
        }
    }
    ::secrets_core::__private::ecosystem_impls! { lifetime : '__secrets_ecosystem , impl : [< '__secrets_ecosystem >] , type : [MasterKey] , where : [] , }
};
