/// Expands into one `#[test]` per law for a [`laws::Model`](crate::laws::Model).
///
/// `law_tests!(name: Model)` generates a module `name` with tests `idempotence`,
/// `commutativity`, `associativity`, `delta_inflation`, `delta_delivery`, `convergence` and
/// `decode` (the state must implement [`codec::WireType`](crate::codec::WireType)).
/// `law_tests!(name: Model, lattice)` adds `upper_bound` and `least_upper_bound`, for types
/// whose `PartialOrd` is the lattice order.
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
    ($name:ident : $model:ty) => {
        $crate::law_tests!(@module $name : $model {});
    };
    ($name:ident : $model:ty, lattice) => {
        $crate::law_tests!(@module $name : $model {
            #[test]
            fn upper_bound() {
                $crate::__private::run_lattice_law::<$model>($crate::laws::Law::UpperBound);
            }

            #[test]
            fn least_upper_bound() {
                $crate::__private::run_lattice_law::<$model>($crate::laws::Law::LeastUpperBound);
            }
        });
    };
    (@module $name:ident : $model:ty { $($extra:item)* }) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn idempotence() {
                $crate::__private::run_law::<$model>($crate::laws::Law::Idempotence);
            }

            #[test]
            fn commutativity() {
                $crate::__private::run_law::<$model>($crate::laws::Law::Commutativity);
            }

            #[test]
            fn associativity() {
                $crate::__private::run_law::<$model>($crate::laws::Law::Associativity);
            }

            #[test]
            fn delta_inflation() {
                $crate::__private::run_law::<$model>($crate::laws::Law::DeltaInflation);
            }

            #[test]
            fn delta_delivery() {
                $crate::__private::run_law::<$model>($crate::laws::Law::DeltaDelivery);
            }

            #[test]
            fn convergence() {
                $crate::__private::run_law::<$model>($crate::laws::Law::Convergence);
            }

            #[test]
            fn decode() {
                $crate::__private::run_decode::<$model>();
            }

            $($extra)*
        }
    };
}
