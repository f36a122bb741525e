//! The store: one redb file holding any number of named objects.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use concord_core::ReplicaId;
use concord_sync::{Checkpoint, Syncable};
use redb::{Database, ReadableDatabase, ReadableTable, TableError};

use crate::durable::{DurableReplica, Options};
use crate::error::{Record, StoreError};
use crate::records::{self, CHECKPOINTS, FORMAT, HEADER_KEY, Header, LOST, META};

/// The longest object name, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// A store file: snapshots, delta logs and checkpoints of named objects, in one redb
/// database. Cheap to clone (the clones share the open file).
///
/// The file is locked while open: a second process opening it gets [`StoreError::Storage`].
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) db: Database,
    path: PathBuf,
    /// The objects open through a [`DurableReplica`], which must not be opened twice.
    open: Mutex<BTreeSet<String>>,
}

impl Store {
    /// Opens the store at `path`, creating it if no file is there.
    ///
    /// A new file is created under a temporary name and moved into place once it holds the
    /// store's header, so a crash during creation never leaves a half-made store at `path`.
    /// Opening verifies the whole file (redb's checksums of every page) before trusting it;
    /// the records are validated as they are read ([`replica`](Self::replica)).
    ///
    /// # Errors
    ///
    /// [`StoreError::Io`] when the file or its directory cannot be read or written,
    /// [`StoreError::Storage`] when redb refuses the file (damaged, cut short, not a redb file,
    /// open in another process), [`StoreError::NotAStore`] for an empty file or a redb file
    /// without a store header, [`StoreError::Corrupt`] or [`StoreError::UnsupportedFormat`]
    /// for a header that does not decode or is of another format.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        match fs::metadata(path) {
            Ok(meta) if meta.len() == 0 => {
                return Err(StoreError::NotAStore {
                    path: path.to_owned(),
                    reason: "the file is empty (a store file is never empty: was it truncated?)",
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => create(path)?,
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_owned(),
                    during: "reading the file's metadata",
                    source,
                });
            }
        }
        let db = builder()
            .open(path)
            .map_err(|e| StoreError::storage(format!("opening {}", path.display()), e))?;
        check_header(&db, path)?;
        Ok(Self {
            inner: Arc::new(Inner {
                db,
                path: path.to_owned(),
                open: Mutex::new(BTreeSet::new()),
            }),
        })
    }

    /// Opens a store restored from a backup (or copied from another machine): every object
    /// gets a new replica id, in one transaction, before anything else can happen.
    ///
    /// A backup is older than the store it was taken from, whose later writes the peers may
    /// hold: writing on under the old ids would mint writes that clash with those. The state
    /// is kept (it counts the old ids' writes it holds), and the peers catch it up with what
    /// it lacks. The peers must add the new ids as peers ([`DurableReplica::id`]).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open), and [`StoreError::Corrupt`] for a checkpoint that does not
    /// decode.
    pub fn open_restored(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let store = Self::open(path)?;
        let during = "giving the restored store's objects new ids";
        let txn = store.begin_write(during)?;
        {
            let mut checkpoints = txn
                .open_table(CHECKPOINTS)
                .map_err(|e| StoreError::storage(during, e))?;
            let mut renewed = Vec::new();
            for entry in checkpoints
                .iter()
                .map_err(|e| StoreError::storage(during, e))?
            {
                let (name, bytes) = entry.map_err(|e| StoreError::storage(during, e))?;
                let object = name.value().to_owned();
                let mut checkpoint: Checkpoint =
                    records::decode(bytes.value(), || Record::Checkpoint {
                        object: object.clone(),
                    })?;
                checkpoint.id = ReplicaId::random();
                checkpoint.writes = checkpoint.frontier.get(&checkpoint.id);
                checkpoint.incarnation = next_incarnation(checkpoint.incarnation);
                renewed.push((object.clone(), records::encode(&checkpoint, &object)?));
            }
            let mut lost = txn
                .open_table(LOST)
                .map_err(|e| StoreError::storage(during, e))?;
            for (object, bytes) in &renewed {
                checkpoints
                    .insert(object.as_str(), bytes.as_slice())
                    .map_err(|e| StoreError::storage(during, e))?;
                lost.remove(object.as_str())
                    .map_err(|e| StoreError::storage(during, e))?;
            }
        }
        txn.commit().map_err(|e| StoreError::storage(during, e))?;
        Ok(store)
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The names of the objects in the store, in order.
    ///
    /// # Errors
    ///
    /// [`StoreError::Storage`] when the file cannot be read.
    pub fn objects(&self) -> Result<Vec<String>, StoreError> {
        let during = "listing the objects";
        let txn = self
            .inner
            .db
            .begin_read()
            .map_err(|e| StoreError::storage(during, e))?;
        let table = match txn.open_table(CHECKPOINTS) {
            Ok(table) => table,
            Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::storage(during, e)),
        };
        let mut names = Vec::new();
        for entry in table.iter().map_err(|e| StoreError::storage(during, e))? {
            let (name, _) = entry.map_err(|e| StoreError::storage(during, e))?;
            names.push(name.value().to_owned());
        }
        Ok(names)
    }

    /// The durable replica of object `name`, created empty under a fresh random id if the
    /// store has no such object, or restored from the file: the snapshot, joined with every
    /// delta logged since, and the checkpoint, in the next incarnation (recorded before this
    /// returns, so no message of the new life is ever sent under an old incarnation).
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidName`], [`StoreError::AlreadyOpen`], [`StoreError::WrongType`]
    /// when the object holds another type, [`StoreError::Corrupt`] naming the record that does
    /// not decode, [`StoreError::Inconsistent`] for records that do not fit together,
    /// [`StoreError::Storage`] when the file cannot be read or the new incarnation committed.
    pub fn replica<T: Syncable>(
        &self,
        name: &str,
        options: Options,
    ) -> Result<DurableReplica<T>, StoreError> {
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(StoreError::InvalidName {
                name: name.to_owned(),
            });
        }
        let guard = OpenGuard::new(self.clone(), name)?;
        DurableReplica::open(guard, options)
    }

    pub(crate) fn db(&self) -> &Database {
        &self.inner.db
    }

    /// A write transaction committed in two phases, so that redb never falls back to an
    /// older commit without saying so (see `docs/durability.md`).
    pub(crate) fn begin_write(&self, during: &str) -> Result<redb::WriteTransaction, StoreError> {
        let mut txn = self
            .inner
            .db
            .begin_write()
            .map_err(|e| StoreError::storage(during, e))?;
        txn.set_two_phase_commit(true);
        Ok(txn)
    }
}

/// An object's claim on its name while a [`DurableReplica`] holds it open.
#[derive(Debug)]
pub(crate) struct OpenGuard {
    pub(crate) store: Store,
    pub(crate) name: String,
}

impl OpenGuard {
    fn new(store: Store, name: &str) -> Result<Self, StoreError> {
        let fresh = store
            .inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned());
        if !fresh {
            return Err(StoreError::AlreadyOpen {
                object: name.to_owned(),
            });
        }
        Ok(Self {
            store,
            name: name.to_owned(),
        })
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.store
            .inner
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.name);
    }
}

/// The incarnation after `previous`: greater than it, and at least the wall clock in
/// milliseconds, so that a store restored from an old backup still comes back in an
/// incarnation greater than any its lost later lives used (the peers then reset their view of
/// it and show it its own history, and the lost-state refusal applies).
pub(crate) fn next_incarnation(previous: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    previous.saturating_add(1).max(now)
}

fn builder() -> redb::Builder {
    let mut builder = redb::Builder::new();
    // Verify every page's checksum on every open, not only after a crash: a file changed
    // behind redb's back is then refused with an error instead of being read (or panicking).
    builder.set_check_integrity_on_open(true);
    builder
}

/// Creates a store at `path`: under a temporary name, then linked into place.
fn create(path: &Path) -> Result<(), StoreError> {
    let io = |during: &'static str, at: &Path| {
        let at = at.to_owned();
        move |source| StoreError::Io {
            path: at,
            during,
            source,
        }
    };
    let file_name = path.file_name().ok_or_else(|| StoreError::Io {
        path: path.to_owned(),
        during: "creating the store",
        source: std::io::Error::new(ErrorKind::InvalidInput, "the path names no file"),
    })?;
    let mut temporary_name = file_name.to_owned();
    temporary_name.push(format!(".creating-{}", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    match fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(io("removing a leftover temporary file", &temporary)(e)),
    }
    {
        let db = builder()
            .create(&temporary)
            .map_err(|e| StoreError::storage(format!("creating {}", temporary.display()), e))?;
        let during = "writing the store header";
        let mut txn = db
            .begin_write()
            .map_err(|e| StoreError::storage(during, e))?;
        txn.set_two_phase_commit(true);
        {
            let mut meta = txn
                .open_table(META)
                .map_err(|e| StoreError::storage(during, e))?;
            let header = records::encode(&Header { format: FORMAT }, "")?;
            meta.insert(HEADER_KEY, header.as_slice())
                .map_err(|e| StoreError::storage(during, e))?;
        }
        txn.commit().map_err(|e| StoreError::storage(during, e))?;
        db.close()
            .map_err(|e| StoreError::storage("closing the new store", e))?;
    }
    // A link fails if another process created the store meanwhile: then that one is opened.
    match fs::hard_link(&temporary, path) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
        // A file system without hard links: a rename, which cannot tell.
        Err(_) => {
            fs::rename(&temporary, path).map_err(io("moving the new store into place", path))?;
        }
    }
    match fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(io("removing the temporary file", &temporary)(e)),
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    sync_directory(&directory).map_err(io("syncing the store's directory", &directory))
}

#[cfg(unix)]
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    fs::File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> std::io::Result<()> {
    // Directories cannot be opened as files here; the rename is as durable as the platform
    // makes it.
    Ok(())
}

fn check_header(db: &Database, path: &Path) -> Result<(), StoreError> {
    let during = "reading the store header";
    let txn = db
        .begin_read()
        .map_err(|e| StoreError::storage(during, e))?;
    let not_a_store = || StoreError::NotAStore {
        path: path.to_owned(),
        reason: "it is a redb database without a concord-store header",
    };
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(TableError::TableDoesNotExist(_)) => return Err(not_a_store()),
        Err(e) => return Err(StoreError::storage(during, e)),
    };
    let bytes = meta
        .get(HEADER_KEY)
        .map_err(|e| StoreError::storage(during, e))?
        .ok_or_else(not_a_store)?;
    let header: Header = records::decode(bytes.value(), || Record::Header)?;
    if header.format != FORMAT {
        return Err(StoreError::UnsupportedFormat {
            found: header.format,
            supported: FORMAT,
        });
    }
    Ok(())
}
