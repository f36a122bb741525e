//! Reading Redis replies of the shapes the transport expects, refusing any other.

use redis::Value;

/// One stream entry: its id and its field-value pairs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct StreamEntry {
    pub(crate) id: String,
    pub(crate) fields: Vec<(Vec<u8>, Vec<u8>)>,
}

impl StreamEntry {
    /// The value of field `name`, if the entry has one.
    pub(crate) fn field(&self, name: &[u8]) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(field, _)| field.as_slice() == name)
            .map(|(_, value)| value.as_slice())
    }
}

/// The bytes of a string reply.
fn bytes(value: Value) -> Option<Vec<u8>> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.into_bytes()),
        Value::VerbatimString { text, .. } => Some(text.into_bytes()),
        _ => None,
    }
}

/// The elements of an array reply (or a set's, or a push's).
fn elements(value: Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) | Value::Set(items) => Some(items),
        _ => None,
    }
}

/// The entries of an `XREAD` reply for one or more streams, in order: empty on a timeout.
///
/// # Errors
///
/// What was wrong with a reply of another shape.
pub(crate) fn stream_entries(reply: Value) -> Result<Vec<StreamEntry>, String> {
    let streams: Vec<Value> = match reply {
        Value::Nil => return Ok(Vec::new()),
        // RESP3: a map from stream key to entries.
        Value::Map(pairs) => pairs.into_iter().map(|(_, entries)| entries).collect(),
        // RESP2: an array of [key, entries] pairs.
        Value::Array(pairs) => {
            let mut streams = Vec::with_capacity(pairs.len());
            for pair in pairs {
                let pair = elements(pair).ok_or("a stream is not a [key, entries] pair")?;
                let mut pair = pair.into_iter();
                let (Some(_), Some(entries), None) = (pair.next(), pair.next(), pair.next()) else {
                    return Err("a stream is not a [key, entries] pair".to_owned());
                };
                streams.push(entries);
            }
            streams
        }
        other => return Err(format!("expected an array of streams, got {other:?}")),
    };
    let mut out = Vec::new();
    for entries in streams {
        let entries = elements(entries).ok_or("a stream's entries are not an array")?;
        for entry in entries {
            let entry = elements(entry).ok_or("a stream entry is not an [id, fields] pair")?;
            let mut entry = entry.into_iter();
            let (Some(id), fields, None) = (entry.next(), entry.next(), entry.next()) else {
                return Err("a stream entry is not an [id, fields] pair".to_owned());
            };
            let id = bytes(id)
                .and_then(|id| String::from_utf8(id).ok())
                .ok_or("a stream entry's id is not a string")?;
            // A deleted entry can come back with no fields: it has none to give.
            let fields = match fields.map(elements) {
                Some(Some(items)) => {
                    let mut fields = Vec::with_capacity(items.len() / 2);
                    let mut items = items.into_iter();
                    while let Some(field) = items.next() {
                        let value = items.next().ok_or("a stream entry has an odd field list")?;
                        match (bytes(field), bytes(value)) {
                            (Some(field), Some(value)) => fields.push((field, value)),
                            _ => return Err("a stream entry's field is not a string".to_owned()),
                        }
                    }
                    fields
                }
                _ => Vec::new(),
            };
            out.push(StreamEntry { id, fields });
        }
    }
    Ok(out)
}

/// A connection, shown in `Debug` output by name only.
pub(crate) struct Conn(pub(crate) redis::Connection);

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("redis::Connection")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use redis::Value;

    use super::stream_entries;

    fn bulk(bytes: &[u8]) -> Value {
        Value::BulkString(bytes.to_vec())
    }

    fn entry(id: &str, fields: Vec<Value>) -> Value {
        Value::Array(vec![bulk(id.as_bytes()), Value::Array(fields)])
    }

    #[test]
    fn stream_replies_of_both_protocols_are_read() {
        let entries = vec![entry(
            "1-0",
            vec![bulk(b"from"), bulk(b"a"), bulk(b"msg"), bulk(b"\x00")],
        )];
        let resp2 = Value::Array(vec![Value::Array(vec![
            bulk(b"inbox"),
            Value::Array(entries.clone()),
        ])]);
        let resp3 = Value::Map(vec![(bulk(b"inbox"), Value::Array(entries))]);
        for reply in [resp2, resp3] {
            let read = stream_entries(reply).unwrap();
            assert_eq!(read.len(), 1);
            assert_eq!(read[0].id, "1-0");
            assert_eq!(read[0].field(b"msg"), Some(&b"\x00"[..]));
            assert_eq!(read[0].field(b"nothing"), None);
        }
        assert!(stream_entries(Value::Nil).unwrap().is_empty());
    }

    #[test]
    fn replies_of_other_shapes_are_errors() {
        let odd = entry("1-0", vec![bulk(b"from")]);
        let not_string = entry("1-0", vec![bulk(b"from"), Value::Int(3)]);
        let bad_id = Value::Array(vec![Value::Int(1), Value::Array(vec![])]);
        for reply in [
            Value::Int(7),
            Value::Okay,
            Value::Array(vec![Value::Int(1)]),
            Value::Array(vec![Value::Array(vec![bulk(b"inbox")])]),
            Value::Array(vec![Value::Array(vec![bulk(b"inbox"), Value::Int(1)])]),
            Value::Array(vec![Value::Array(vec![
                bulk(b"inbox"),
                Value::Array(vec![odd]),
            ])]),
            Value::Array(vec![Value::Array(vec![
                bulk(b"inbox"),
                Value::Array(vec![not_string]),
            ])]),
            Value::Array(vec![Value::Array(vec![
                bulk(b"inbox"),
                Value::Array(vec![bad_id]),
            ])]),
        ] {
            assert!(stream_entries(reply.clone()).is_err(), "{reply:?}");
        }
        // An entry without fields (deleted) has none.
        let deleted = Value::Array(vec![bulk(b"1-0"), Value::Nil]);
        let reply = Value::Array(vec![Value::Array(vec![
            bulk(b"inbox"),
            Value::Array(vec![deleted]),
        ])]);
        assert!(stream_entries(reply).unwrap()[0].fields.is_empty());
    }
}
