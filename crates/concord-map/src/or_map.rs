use alloc::vec::Vec;
use core::borrow::Borrow;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;

use concord_clock::{Causal, CausalCrdt, DotContext, DotMap, DotStore};
use concord_core::{Actor, Dot, Overflow, ReplicaId};

/// An observed-remove map whose values are causal CRDTs ([`MvRegister`], [`OrSet`], another
/// `OrMap`, ...), built on the dot-store kernel of `concord-clock` as a [`Causal`] state over a
/// [`DotMap`] from key to the value's dot store (the map that embeds causal CRDTs of Almeida,
/// Shoker and Baquero, "Delta State Replicated Data Types", 2018).
///
/// The whole map shares one causal context; each key holds only its value's store. A value is
/// changed in place by its own mutator through [`apply`](Self::apply): the map rebuilds the
/// value from the key's store and the shared context, so the value's events get dots no other
/// event of the map has. A key is present while some event of its value has not been removed,
/// and [`remove`](Self::remove) removes exactly the events of the key its replica has
/// observed, so
///
/// - an update concurrent with a remove survives it (the update wins), and only the update
///   survives: what the remover had seen of the value is gone;
/// - a remove after seeing an update always removes it, whatever order the deltas travel in;
/// - values merge by their own rules: concurrent writes of an [`MvRegister`] value stay side
///   by side as siblings until a write that saw them replaces them.
///
/// [`MvRegister`]: https://docs.rs/concord-register/latest/concord_register/struct.MvRegister.html
/// [`OrSet`]: https://docs.rs/concord-set/latest/concord_set/struct.OrSet.html
///
/// # Metadata
///
/// A remove stores no tombstone: it deletes the key's dots from the store and keeps only the
/// fact that they were seen, in the causal context. The state is therefore the present keys,
/// each with the metadata of its value (for a register, one dot per concurrent sibling), and a
/// context that compacts to one counter per actor once every delta has arrived: O(keys
/// present + actors) after any history, removed keys cost nothing.
///
/// # Decoding
///
/// The wire form is the kernel's: the keys in order, each with its value's store, then the
/// context. With the `serde` feature, decoding refuses keys out of order or repeated, a key
/// whose value holds no dot, a dot missing from the context or held twice (under two keys),
/// and more than [`MAX_ENTRIES`](concord_core::MAX_ENTRIES) keys; each value's store checks
/// its own form the same way.
///
/// # Examples
///
/// A document with conflicting versions, as a document store with multi-master replication
/// keeps it: each field is a multi-value register, so two replicas that write the same field
/// without seeing each other keep both versions, the application reads both, and a later write
/// that has seen them resolves the conflict.
///
/// ```
/// use concord_map::{Merge, OrMap, Overflow, ReplicaId};
/// use concord_register::MvRegister;
///
/// /// A document: field name to the versions of its value.
/// type Document = OrMap<String, MvRegister<String>>;
///
/// /// Writes `value` into `field`, replacing every version this replica has seen.
/// fn set(doc: &mut Document, at: ReplicaId, field: &str, value: &str) -> Result<Document, Overflow> {
///     doc.apply(at, field.to_owned(), |versions, at| {
///         let (_, seen) = versions.read();
///         versions.write(at, value.to_owned(), &seen)
///     })
/// }
///
/// /// Every version of `field`, in a fixed order.
/// fn versions(doc: &Document, field: &str) -> Vec<String> {
///     doc.get(field).map(|v| v.into_values()).unwrap_or_default()
/// }
///
/// let (east, west) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
/// let mut primary = Document::new();
/// let mut created = set(&mut primary, east, "name", "Ada")?;
/// created.merge(&set(&mut primary, east, "email", "ada@example.com")?);
/// let mut secondary = Document::new();
/// secondary.merge(&created);
///
/// // During a partition both replicas change the email.
/// let from_east = set(&mut primary, east, "email", "ada@east.example")?;
/// let from_west = set(&mut secondary, west, "email", "ada@west.example")?;
/// primary.merge(&from_west);
/// secondary.merge(&from_east);
/// assert_eq!(primary, secondary);
///
/// // Neither version is lost: the application sees both siblings ...
/// assert_eq!(versions(&primary, "email"), ["ada@east.example", "ada@west.example"]);
/// assert_eq!(versions(&primary, "name"), ["Ada"]);
///
/// // ... and resolves them with a write that has seen both.
/// let resolved = set(&mut secondary, west, "email", "ada@example.org")?;
/// primary.merge(&resolved);
/// assert_eq!(versions(&primary, "email"), ["ada@example.org"]);
/// assert_eq!(primary, secondary);
/// # Ok::<(), Overflow>(())
/// ```
///
/// An update concurrent with a remove survives it; what the remover saw does not:
///
/// ```
/// use concord_map::{Merge, OrMap};
/// use concord_set::OrSet;
///
/// // Tags per post.
/// let mut a = OrMap::<&str, OrSet<&str, u64>, u64>::new();
/// let mut b = a.clone();
/// b.merge(&a.apply(1, "post", |tags, at| tags.insert(at, "rust"))?);
///
/// let removed = b.remove("post"); // b removes the post it saw, with its tag
/// let tagged = a.apply(1, "post", |tags, at| tags.insert(at, "crdt"))?; // a tags it again
/// a.merge(&removed);
/// b.merge(&tagged);
/// assert_eq!(a, b);
/// let tags = a.get("post").expect("the concurrent update keeps the post");
/// assert_eq!(tags.iter().copied().collect::<Vec<_>>(), ["crdt"]);
/// # Ok::<(), concord_map::Overflow>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(
        transparent,
        bound(
            serialize = "K: serde::Serialize, \
                         <V as CausalCrdt<A>>::Store: serde::Serialize, \
                         A: Actor + serde::Serialize",
            deserialize = "K: Ord + Clone + serde::Deserialize<'de>, \
                           <V as CausalCrdt<A>>::Store: serde::Deserialize<'de>, \
                           A: Actor + serde::Deserialize<'de>"
        )
    )
)]
pub struct OrMap<K, V, A = ReplicaId>
where
    V: CausalCrdt<A>,
    A: Actor,
{
    /// The present keys with their values' stores (strictly increasing by key, none empty),
    /// and every event the map has seen.
    state: Causal<DotMap<K, V::Store, A>, A>,
}

impl<K, V: CausalCrdt<A>, A: Actor> Default for OrMap<K, V, A> {
    fn default() -> Self {
        Self {
            state: Causal::default(),
        }
    }
}

impl<K: Clone, V: CausalCrdt<A>, A: Actor> Clone for OrMap<K, V, A> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.state.clone_from(&source.state);
    }
}

/// Semantic equality: the stores are kept canonical (sorted, no empty value) and the context
/// compact, so equal maps are equal field by field.
impl<K: PartialEq, V: CausalCrdt<A>, A: Actor> PartialEq for OrMap<K, V, A> {
    fn eq(&self, other: &Self) -> bool {
        self.state == other.state
    }
}

impl<K: Eq, V: CausalCrdt<A>, A: Actor> Eq for OrMap<K, V, A> where V::Store: Eq {}

impl<K: Hash, V: CausalCrdt<A>, A: Actor> Hash for OrMap<K, V, A>
where
    V::Store: Hash,
{
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.state.hash(state);
    }
}

impl<K: fmt::Debug + Ord, V: CausalCrdt<A>, A: Actor> fmt::Debug for OrMap<K, V, A>
where
    V::Store: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrMap")
            .field("entries", &self.state.store().entries())
            .field("context", self.state.context())
            .finish()
    }
}

impl<K: Ord + Clone, V: CausalCrdt<A>, A: Actor> OrMap<K, V, A> {
    /// The empty map.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Updates the value at `key` as `actor` with the value's own mutator, and returns the
    /// delta to ship.
    ///
    /// The map rebuilds the value from the key's store (an empty value when the key is absent)
    /// and the map's whole context, and hands it to `f` with `actor`; `f` runs the value's
    /// mutator on it and returns that mutator's delta (the join of the deltas when it runs
    /// several), for example `|reg, at| { let (_, seen) = reg.read(); reg.write(at, v, &seen) }`
    /// for an `MvRegister`. The mutator mints its dots from the shared context, so they are
    /// new to the whole map.
    ///
    /// The map's delta holds the value delta's store under `key` (no entry when it holds no
    /// dot) and, of the value delta's context, the dots of this key and the dots `f` minted.
    /// The rest of the map's context, which the value saw only because the map shares it
    /// (a register's `read` context covers every key), is left out, so the delta removes
    /// nothing under other keys. Likewise the delta's store keeps only this key's dots and
    /// new ones: `f` must return what the value's mutators return, not a value built elsewhere.
    ///
    /// The delta is joined into the entry of `key` alone ([`Causal::join_key`]): besides what
    /// `f` costs, the map's context is copied once for the value, and the keys are searched,
    /// not walked.
    ///
    /// # Errors
    ///
    /// The error of `f` (an [`Overflow`] when `actor` already has a dot with counter
    /// `u64::MAX`, which only a misbehaving peer's state gets to); the map is unchanged.
    pub fn apply(
        &mut self,
        actor: A,
        key: K,
        f: impl FnOnce(&mut V, A) -> Result<V, Overflow>,
    ) -> Result<Self, Overflow> {
        let old = self.state.store().get(&key).cloned().unwrap_or_default();
        let mut seen = Vec::with_capacity(old.dot_count());
        old.for_each_dot(&mut |dot| seen.push(*dot));
        seen.sort_unstable();
        let mut value = V::from_causal(Causal::from_store(old, self.state.context().clone()));
        let (mut store, context) = f(&mut value, actor)?.into_causal().into_parts();
        let known = self.state.context();
        store.retain_dots(&mut |dot| !known.contains(dot) || seen.binary_search(dot).is_ok());
        let mut replaced: Vec<Dot<A>> = seen
            .into_iter()
            .filter(|dot| context.contains(dot))
            .collect();
        // The dots `f` minted lie above the map's counters: one vector run per actor, and any
        // out-of-order dot in the cloud.
        for (&by, upto) in context.vector() {
            if let Some(from) = known.max_counter(&by).checked_add(1) {
                replaced.extend((from..=upto).map(|counter| Dot::new(by, counter)));
            }
        }
        replaced.extend(context.cloud().iter().filter(|dot| !known.contains(dot)));
        replaced.sort_unstable();
        let replaced: DotContext<A> = replaced.into_iter().collect();
        // The delta concerns `key` alone: its context holds this key's dots and new ones.
        let delta = if store.is_bottom() {
            let delta = Causal::from_store(DotMap::new(), replaced);
            self.state.join_key(&key, &delta);
            delta
        } else {
            let delta = Causal::from_store(DotMap::from_entry(key, store), replaced);
            if let Some((key, _)) = delta.store().entries().first() {
                self.state.join_key(key, &delta);
            }
            delta
        };
        Ok(Self { state: delta })
    }

    /// Removes `key` and returns the delta to ship: no entry, only every event of the key's
    /// value this replica has observed (nested values included), as seen. Merged anywhere, it
    /// removes exactly those events; an update it did not observe survives, as the only
    /// content of the key. Removing an absent key returns an empty delta. Touches the entry of
    /// `key` alone.
    pub fn remove<Q>(&mut self, key: &Q) -> Self
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let seen = self
            .state
            .store()
            .get(key)
            .map_or_else(DotContext::new, context_of);
        let delta = Causal::from_store(DotMap::new(), seen);
        self.state.join_key(key, &delta);
        Self { state: delta }
    }

    /// Removes every key and returns the delta: every event observed, as seen.
    pub fn clear(&mut self) -> Self {
        let seen = context_of(self.state.store());
        let delta = Causal::from_store(DotMap::new(), seen);
        Self {
            state: self.state.apply(delta),
        }
    }

    /// The value at `key`, if present, detached from the map for reading.
    ///
    /// The value holds the key's store and a context of exactly that store's dots (so reading
    /// it costs a copy of one value, not of the map's context). Do not ship what its mutators
    /// return: they would mint dots from that partial context, which the map may already have
    /// used. Changes go through [`apply`](Self::apply).
    #[must_use]
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.state.store().get(key).map(detached::<V, A>)
    }

    /// Whether `key` is present: some event of its value has not been removed.
    #[must_use]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.state.store().contains_key(key)
    }

    /// The number of present keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.state.store().len()
    }

    /// Whether no key is present.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.state.store().is_empty()
    }

    /// The present keys, in increasing order.
    #[must_use = "iterators are lazy"]
    pub fn keys(&self) -> OrMapKeys<'_, K, V, A> {
        OrMapKeys {
            entries: self.state.store().entries().iter(),
        }
    }

    /// The present keys with their values, `(&key, value)` in increasing key order; each
    /// value is detached as by [`get`](Self::get).
    #[must_use = "iterators are lazy"]
    pub fn iter(&self) -> OrMapIter<'_, K, V, A> {
        OrMapIter {
            entries: self.state.store().entries().iter(),
            value: PhantomData,
        }
    }

    /// Every event this map has seen, present or removed.
    #[must_use]
    pub const fn context(&self) -> &DotContext<A> {
        self.state.context()
    }

    /// The map as a state of the dot-store kernel.
    #[must_use]
    pub const fn as_causal(&self) -> &Causal<DotMap<K, V::Store, A>, A> {
        &self.state
    }

    /// How much metadata the map holds: dots stored with present values, plus the entries of
    /// its context (vector entries and cloud dots).
    #[must_use]
    pub fn metadata(&self) -> usize {
        self.state.store().dot_count()
            + self.context().vector().len()
            + self.context().cloud().len()
    }
}

/// The dots of `store`, as a context.
fn context_of<S: DotStore<A>, A: Actor>(store: &S) -> DotContext<A> {
    let mut dots = Vec::with_capacity(store.dot_count());
    store.for_each_dot(&mut |dot| dots.push(*dot));
    dots.sort_unstable();
    dots.into_iter().collect()
}

/// The value of `store`, with a context of exactly its dots.
fn detached<V: CausalCrdt<A>, A: Actor>(store: &V::Store) -> V {
    V::from_causal(Causal::from_store(store.clone(), context_of(store)))
}

impl<K, V: CausalCrdt<A>, A: Actor> From<Causal<DotMap<K, V::Store, A>, A>> for OrMap<K, V, A> {
    /// The map whose keys and values are the store's entries.
    fn from(state: Causal<DotMap<K, V::Store, A>, A>) -> Self {
        Self { state }
    }
}

concord_clock::__impl_causal_crdt!(
    [K: Ord + Clone, V: CausalCrdt<A>, A: Actor] OrMap<K, V, A>,
    DotMap<K, V::Store, A>,
    A
);

/// The present keys of an [`OrMap`] with their values, in increasing key order; returned by
/// [`OrMap::iter`]. Each value is built from its store as it is yielded.
pub struct OrMapIter<'a, K, V, A>
where
    V: CausalCrdt<A>,
    A: Actor,
{
    entries: core::slice::Iter<'a, (K, V::Store)>,
    value: PhantomData<fn() -> V>,
}

impl<K: fmt::Debug, V: CausalCrdt<A>, A: Actor> fmt::Debug for OrMapIter<'_, K, V, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrMapIter")
            .field(
                "keys",
                &self
                    .entries
                    .as_slice()
                    .iter()
                    .map(|(k, _)| k)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<K, V: CausalCrdt<A>, A: Actor> Clone for OrMapIter<'_, K, V, A> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            value: PhantomData,
        }
    }
}

impl<'a, K, V: CausalCrdt<A>, A: Actor> Iterator for OrMapIter<'a, K, V, A> {
    type Item = (&'a K, V);

    fn next(&mut self) -> Option<Self::Item> {
        self.entries
            .next()
            .map(|(k, store)| (k, detached::<V, A>(store)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl<K, V: CausalCrdt<A>, A: Actor> DoubleEndedIterator for OrMapIter<'_, K, V, A> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.entries
            .next_back()
            .map(|(k, store)| (k, detached::<V, A>(store)))
    }
}

impl<K, V: CausalCrdt<A>, A: Actor> ExactSizeIterator for OrMapIter<'_, K, V, A> {}

impl<K, V: CausalCrdt<A>, A: Actor> core::iter::FusedIterator for OrMapIter<'_, K, V, A> {}

impl<'a, K: Ord + Clone, V: CausalCrdt<A>, A: Actor> IntoIterator for &'a OrMap<K, V, A> {
    type Item = (&'a K, V);
    type IntoIter = OrMapIter<'a, K, V, A>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The present keys of an [`OrMap`] in increasing order; returned by [`OrMap::keys`].
pub struct OrMapKeys<'a, K, V, A>
where
    V: CausalCrdt<A>,
    A: Actor,
{
    entries: core::slice::Iter<'a, (K, V::Store)>,
}

impl<K: fmt::Debug, V: CausalCrdt<A>, A: Actor> fmt::Debug for OrMapKeys<'_, K, V, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.as_slice().iter().map(|(k, _)| k))
            .finish()
    }
}

impl<K, V: CausalCrdt<A>, A: Actor> Clone for OrMapKeys<'_, K, V, A> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
        }
    }
}

impl<'a, K, V: CausalCrdt<A>, A: Actor> Iterator for OrMapKeys<'a, K, V, A> {
    type Item = &'a K;

    fn next(&mut self) -> Option<&'a K> {
        self.entries.next().map(|(k, _)| k)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl<K, V: CausalCrdt<A>, A: Actor> DoubleEndedIterator for OrMapKeys<'_, K, V, A> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.entries.next_back().map(|(k, _)| k)
    }
}

impl<K, V: CausalCrdt<A>, A: Actor> ExactSizeIterator for OrMapKeys<'_, K, V, A> {}

impl<K, V: CausalCrdt<A>, A: Actor> core::iter::FusedIterator for OrMapKeys<'_, K, V, A> {}

#[cfg(feature = "serde")]
impl<K, V, A> concord_core::codec::WireType for OrMap<K, V, A>
where
    K: Ord + Clone + serde::Serialize + serde::de::DeserializeOwned,
    V: CausalCrdt<A>,
    V::Store: serde::Serialize + serde::de::DeserializeOwned,
    A: Actor + serde::Serialize + serde::de::DeserializeOwned,
{
    const TAG: u16 = concord_core::codec::tag::OR_MAP;
    /// 2: the actor columns of `ReplicaId`s are byte strings.
    const VERSION: u16 = 2;
    const NAME: &'static str = "OrMap";
}

/// Builds a valid map: each generated value goes under its key with only the dots the map has
/// not seen yet (so no dot is held twice), and the context covers every dot.
#[cfg(feature = "arbitrary")]
impl<'a, K, V, A> arbitrary::Arbitrary<'a> for OrMap<K, V, A>
where
    K: Ord + Clone + arbitrary::Arbitrary<'a>,
    V: CausalCrdt<A> + arbitrary::Arbitrary<'a>,
    A: Actor + arbitrary::Arbitrary<'a>,
{
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let values: Vec<(K, V)> = u.arbitrary()?;
        let context: DotContext<A> = u.arbitrary()?;
        let mut state = Causal::from_store(DotMap::new(), context);
        for (key, value) in values.into_iter().take(concord_core::MAX_ENTRIES) {
            let (mut store, context) = value.into_causal().into_parts();
            let known = state.context();
            store.retain_dots(&mut |dot| !known.contains(dot));
            concord_core::Merge::merge(
                &mut state,
                &Causal::from_store(DotMap::from_entry(key, store), context),
            );
        }
        Ok(Self { state })
    }
}
