/// Expands into one `#[test]` per law for a [`laws::Model`](crate::laws::Model).
///
/// `law_tests!(name: Model)` generates a module `name` with tests `idempotence`,
/// `commutativity`, `associativity`, `delta_inflation`, `delta_delivery`, `convergence` and
/// `decode` (the state must implement [`codec::WireType`](crate::codec::WireType)), each calling
/// the runner of its law ([`laws::run_idempotence`](crate::laws::run_idempotence), ...).
/// `law_tests!(name: Model, lattice)` adds `upper_bound` and `least_upper_bound`
/// ([`laws::run_upper_bound`](crate::laws::run_upper_bound),
/// [`laws::run_least_upper_bound`](crate::laws::run_least_upper_bound)), for types whose
/// `PartialOrd` is the lattice order; without `PartialOrd` they do not compile. The flag
/// `novelty` adds `novelty` ([`laws::run_novelty`](crate::laws::run_novelty), the state must
/// implement [`Novelty`](crate::Novelty)) and `catch_up` adds `catch_up`
/// ([`laws::run_catch_up`](crate::laws::run_catch_up), for [`CatchUp`](crate::CatchUp)); flags
/// combine in any order (`law_tests!(or_set: OrSetModel, lattice, novelty, catch_up)`), and an
/// unknown flag does not compile.
///
/// Each test runs [`DEFAULT_CASES`](crate::laws::DEFAULT_CASES) worlds from a fixed seed; see
/// [`laws`](crate::laws) for the environment variables.
///
/// ```ignore
/// // tests/laws.rs of a type crate
/// use concord_counter::laws::GCounterModel;
/// concord_core::law_tests!(g_counter: GCounterModel, lattice);
/// ```
#[macro_export]
macro_rules! law_tests {
    ($name:ident : $model:ty $(, $flag:ident)* $(,)?) => {
        $crate::law_tests!(@module $name : $model {
            $($crate::law_tests!(@flag $flag $model);)*
        });
    };
    (@flag lattice $model:ty) => {
        #[test]
        fn upper_bound() {
            $crate::__private::run_upper_bound::<$model>();
        }

        #[test]
        fn least_upper_bound() {
            $crate::__private::run_least_upper_bound::<$model>();
        }
    };
    (@flag novelty $model:ty) => {
        #[test]
        fn novelty() {
            $crate::__private::run_novelty::<$model>();
        }
    };
    (@flag catch_up $model:ty) => {
        #[test]
        fn catch_up() {
            $crate::__private::run_catch_up::<$model>();
        }
    };
    (@module $name:ident : $model:ty { $($extra:item)* }) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn idempotence() {
                $crate::__private::run_idempotence::<$model>();
            }

            #[test]
            fn commutativity() {
                $crate::__private::run_commutativity::<$model>();
            }

            #[test]
            fn associativity() {
                $crate::__private::run_associativity::<$model>();
            }

            #[test]
            fn delta_inflation() {
                $crate::__private::run_delta_inflation::<$model>();
            }

            #[test]
            fn delta_delivery() {
                $crate::__private::run_delta_delivery::<$model>();
            }

            #[test]
            fn convergence() {
                $crate::__private::run_convergence::<$model>();
            }

            #[test]
            fn decode() {
                $crate::__private::run_decode::<$model>();
            }

            $($extra)*
        }
    };
}

/// Expands into a `#[test]` that checks one golden wire vector, like digest's
/// `hash_serialization_test!`.
///
/// `golden_test!(name = value)` (or `golden_test!(name: Type = value)`, when the value's type
/// needs spelling out) generates a test `name` that encodes `value` with
/// [`codec::encode`](crate::codec::encode), compares the bytes with the file
/// `tests/data/name.bin` of the crate that invokes the macro, and decodes the file back to a
/// state equal to `value` ([`laws::run_golden`](crate::laws::run_golden)).
///
/// With `CONCORD_BLESS=1` in the environment the test writes the file instead (bless mode),
/// for new vectors and for a deliberate format change (which also bumps the type's
/// [`WireType::VERSION`](crate::codec::WireType::VERSION)).
///
/// ```ignore
/// // tests/golden.rs of a type crate
/// use concord_counter::GCounter;
/// concord_core::golden_test!(g_counter_empty = GCounter::<u64>::new());
/// concord_core::golden_test!(g_counter_u64: GCounter<u64> = {
///     let mut c = GCounter::new();
///     c.increment(7, 250).unwrap();
///     c
/// });
/// ```
#[macro_export]
macro_rules! golden_test {
    ($name:ident : $ty:ty = $value:expr) => {
        #[test]
        fn $name() {
            let value: $ty = $value;
            $crate::__private::run_golden(
                ::core::concat!(
                    ::core::env!("CARGO_MANIFEST_DIR"),
                    "/tests/data/",
                    ::core::stringify!($name),
                    ".bin"
                ),
                &value,
            );
        }
    };
    ($name:ident = $value:expr) => {
        #[test]
        fn $name() {
            $crate::__private::run_golden(
                ::core::concat!(
                    ::core::env!("CARGO_MANIFEST_DIR"),
                    "/tests/data/",
                    ::core::stringify!($name),
                    ".bin"
                ),
                &$value,
            );
        }
    };
}
