#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use proc_macro::TokenStream;
use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Generics, Ident, Path, parse_macro_input};

/// Derives `Merge` for a struct whose fields all implement `Merge`: the merge is field by field.
///
/// (The examples of this crate run as tests of `concord-register`, `tests/derive.rs` and its
/// `derive_docs` doctests: a test here would need `concord-core`, which depends on this crate.)
///
/// A struct of join-semilattices merged field by field is a join-semilattice (the product
/// lattice), so a struct of CRDTs derived this way is a CRDT, and it passes the merge laws
/// whenever each field type does.
///
/// ```ignore
/// use concord_core::Merge;
///
/// #[derive(Clone, Debug, PartialEq)]
/// struct Max(u64);
/// impl Merge for Max {
///     fn merge(&mut self, other: &Self) { self.0 = self.0.max(other.0) }
/// }
///
/// #[derive(Clone, Debug, PartialEq, Merge)]
/// struct Scores {
///     best: Max,
///     per_level: (Max, Max),
///     first_seen: Option<Max>,
/// }
///
/// let mut a = Scores { best: Max(3), per_level: (Max(1), Max(9)), first_seen: None };
/// let b = Scores { best: Max(5), per_level: (Max(2), Max(0)), first_seen: Some(Max(7)) };
/// a.merge(&b);
/// assert_eq!(a, Scores { best: Max(5), per_level: (Max(2), Max(9)), first_seen: Some(Max(7)) });
/// ```
///
/// # What it accepts
///
/// - Structs with named fields and tuple structs: `self.f.merge(&other.f)` for every field, in
///   declaration order.
/// - Unit structs (and structs without fields): the merge does nothing; such a type has one
///   state, which is the trivial lattice.
/// - Generic structs: the impl requires `F: Merge` for every field type `F` that mentions a
///   type parameter (`T`, `Vec<T>`, `T::Counter`), so `Doc<T>` is `Merge` exactly when its
///   fields are.
///
/// Enums and unions are refused with a compile error: two replicas in different variants have
/// no field-by-field join (which variant wins is a rule only the type's author can choose), and
/// a union holds one field at a time.
///
/// A field whose type does not implement `Merge` is a compile error that points at that field's
/// type and names it:
///
/// ```ignore
/// use concord_core::Merge;
///
/// #[derive(Merge)]
/// struct Profile {
///     visits: u64, // a plain number has no merge: is it a maximum, a sum, the last value?
/// }
/// ```
///
/// # Where the generated code finds the trait
///
/// The impl names the trait by an absolute path, found in the deriving package's `Cargo.toml`:
/// `::concord_core::Merge` when the package depends on `concord-core`, otherwise
/// `::concord_crdt::concord_core::Merge` for the facade, or the re-export of the first type
/// crate found (`concord-register`, `concord-counter`, `concord-set`, `concord-map`,
/// `concord-clock`). Renamed dependencies are followed. So the derive works with one
/// dependency, whichever it is: `concord_crdt::Merge` (feature `derive` of the facade, on by
/// default) or `concord_register::Merge` (feature `derive` of the type crate) name the trait and
/// the derive at once, as serde's `Serialize` does.
///
/// Where the manifest cannot be read (a build system other than cargo) or the crate is reached
/// some other way, name the path yourself:
///
/// ```ignore
/// # use concord_core as my_crdts;
/// use my_crdts::Merge;
///
/// #[derive(Merge)]
/// #[merge(crate = "my_crdts")]
/// struct Nothing;
/// ```
///
/// The generated code names nothing but that trait, so it works in `#![no_std]` crates.
#[proc_macro_derive(Merge, attributes(merge))]
pub fn derive_merge(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let krate = core_path(input)?;
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            return Err(syn::Error::new(
                data.enum_token.span,
                "#[derive(Merge)] works on structs only: replicas in different variants of an \
                 enum have no field-by-field join (which variant wins is a rule the type must \
                 choose); implement `Merge` by hand",
            ));
        }
        Data::Union(data) => {
            return Err(syn::Error::new(
                data.union_token.span,
                "#[derive(Merge)] works on structs only: a union holds one field at a time, so \
                 it cannot be merged field by field; implement `Merge` by hand",
            ));
        }
    };

    let name = &input.ident;
    let merge = quote!(#krate::Merge);
    let params = type_params(&input.generics);
    let mut bounds: Vec<TokenStream2> = Vec::new();
    let mut calls = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let ty = &field.ty;
        let member = match &field.ident {
            Some(ident) => quote!(#ident),
            None => {
                let index = syn::Index {
                    index: u32::try_from(index)
                        .map_err(|_| syn::Error::new(field.span(), "too many fields"))?,
                    span: ty.span(),
                };
                quote!(#index)
            }
        };
        // Spanned at the field's type: if it is not `Merge`, the error points here and names
        // the type and the trait.
        calls.push(quote_spanned! {ty.span()=>
            <#ty as #merge>::merge(&mut self.#member, &other.#member);
        });
        if mentions_any(ty, &params) {
            let bound = quote_spanned!(ty.span()=> #ty: #merge);
            let text = bound.to_string();
            if !bounds.iter().any(|b| b.to_string() == text) {
                bounds.push(bound);
            }
        }
    }
    let other = if calls.is_empty() {
        quote!(_other)
    } else {
        quote!(other)
    };

    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut predicates: Vec<TokenStream2> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    predicates.extend(bounds);
    let where_clause = if predicates.is_empty() {
        quote!()
    } else {
        quote!(where #(#predicates,)*)
    };

    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #merge for #name #ty_generics #where_clause {
            #[inline]
            fn merge(&mut self, #other: &Self) {
                #(#calls)*
            }
        }
    })
}

/// The path of the `concord_core` crate as the deriving package sees it.
fn core_path(input: &DeriveInput) -> syn::Result<TokenStream2> {
    if let Some(path) = crate_attribute(input)? {
        return Ok(quote!(#path));
    }
    // The packages that expose the trait, in order of preference: the core itself, the
    // facade, then every type crate (each re-exports the core as `concord_core`).
    const PACKAGES: [&str; 7] = [
        "concord-core",
        "concord-crdt",
        "concord-register",
        "concord-counter",
        "concord-set",
        "concord-map",
        "concord-clock",
    ];
    for package in PACKAGES {
        let Ok(found) = crate_name(package) else {
            continue;
        };
        // `Itself`: the derive is used in a test, example or doctest of that package, where
        // the library is an extern crate under its own name.
        let local = match found {
            FoundCrate::Itself => package.replace('-', "_"),
            FoundCrate::Name(name) => name,
        };
        let local = Ident::new(&local, Span::call_site());
        return Ok(if package == "concord-core" {
            quote!(::#local)
        } else {
            quote!(::#local::concord_core)
        });
    }
    Ok(quote!(::concord_core))
}

/// The path given by `#[merge(crate = "path")]`, if any.
fn crate_attribute(input: &DeriveInput) -> syn::Result<Option<Path>> {
    let mut path = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("merge")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                path = Some(lit.parse::<Path>()?);
                Ok(())
            } else {
                Err(meta.error("unknown merge attribute; expected `crate = \"path\"`"))
            }
        })?;
    }
    Ok(path)
}

fn type_params(generics: &Generics) -> Vec<Ident> {
    generics.type_params().map(|p| p.ident.clone()).collect()
}

/// Whether the type's tokens mention one of the type parameters.
///
/// Only such field types get a `where` bound. A bound on a concrete field type would be either
/// always true or always false, and it would make recursive types (a struct holding a map of
/// itself) unprovable and leak private field types into the public impl; the spanned call in
/// the body checks those fields instead.
fn mentions_any(ty: &syn::Type, params: &[Ident]) -> bool {
    fn walk(tokens: TokenStream2, params: &[Ident]) -> bool {
        tokens.into_iter().any(|tree| match tree {
            TokenTree::Ident(ident) => params.contains(&ident),
            TokenTree::Group(group) => walk(group.stream(), params),
            TokenTree::Punct(_) | TokenTree::Literal(_) => false,
        })
    }
    !params.is_empty() && walk(quote!(#ty), params)
}
