//! The CloudTrail record, in two stages.
//!
//! [`RawRecord`] is what every reader produces: one pass over the record that keeps the byte spans
//! of the top-level fields a rule may read and skips the rest. Only `eventName` is decoded for
//! every record (to look it up in the rules index); a record that some rule wants becomes an
//! [`Event`], whose top-level fields are typed and whose `requestParameters`,
//! `responseElements` and `additionalEventData` stay raw until a rule asks for them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A field of a record that could not be read: where (a dotted path from the record's top) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }

    fn missing(field: &str) -> Self {
        FieldError::new(field, "missing")
    }
}

/// The operation an `eventName` names, without the API-version suffix some services add (Lambda:
/// `AddPermission20150331`, `UpdateFunctionCode20150331v2`): eight digits, then an optional
/// `v` and digits. Names without such a suffix come back as they are.
pub fn operation(name: &str) -> &str {
    let b = name.as_bytes();
    if !b.last().is_some_and(u8::is_ascii_digit) {
        return name;
    }
    let mut end = b.len();
    let digits = |end: usize| b[..end].iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let tail = digits(end);
    if end > tail && b[end - tail - 1] == b'v' && tail < 8 {
        end -= tail + 1;
    }
    if digits(end) == 8 && end > 8 && b[end - 9].is_ascii_alphabetic() { &name[..end - 8] } else { name }
}

/// Top-level fields kept by the one-pass scan. Everything else is skipped unread.
#[derive(Default, Clone, Copy)]
pub struct RawRecord<'a> {
    event_name: Option<&'a str>,
    event_source: Option<&'a str>,
    event_time: Option<&'a str>,
    event_id: Option<&'a str>,
    event_type: Option<&'a str>,
    aws_region: Option<&'a str>,
    recipient_account_id: Option<&'a str>,
    source_ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    user_identity: Option<&'a str>,
    error_code: Option<&'a str>,
    error_message: Option<&'a str>,
    session_credential_from_console: Option<&'a str>,
    request_parameters: Option<&'a str>,
    response_elements: Option<&'a str>,
    additional_event_data: Option<&'a str>,
    /// Addresses of the first byte of the record's first value and one past its last value's end.
    span: (usize, usize),
}

pub(crate) enum Field {
    EventName,
    EventSource,
    EventTime,
    EventId,
    EventType,
    AwsRegion,
    RecipientAccountId,
    SourceIp,
    UserAgent,
    UserIdentity,
    ErrorCode,
    ErrorMessage,
    SessionCredentialFromConsole,
    RequestParameters,
    ResponseElements,
    AdditionalEventData,
    // Keys that shape a document (a CloudTrail log file, an EventBridge envelope), not a record.
    Records,
    Detail,
    DetailType,
    Other,
}

impl Field {
    /// The field a top-level key names.
    fn named(key: &str) -> Field {
        match key {
            "eventName" => Field::EventName,
            "eventSource" => Field::EventSource,
            "eventTime" => Field::EventTime,
            "eventID" => Field::EventId,
            "eventType" => Field::EventType,
            "awsRegion" => Field::AwsRegion,
            "recipientAccountId" => Field::RecipientAccountId,
            "sourceIPAddress" => Field::SourceIp,
            "userAgent" => Field::UserAgent,
            "userIdentity" => Field::UserIdentity,
            "errorCode" => Field::ErrorCode,
            "errorMessage" => Field::ErrorMessage,
            "sessionCredentialFromConsole" => Field::SessionCredentialFromConsole,
            "requestParameters" => Field::RequestParameters,
            "responseElements" => Field::ResponseElements,
            "additionalEventData" => Field::AdditionalEventData,
            "Records" => Field::Records,
            "detail" => Field::Detail,
            "detail-type" => Field::DetailType,
            _ => Field::Other,
        }
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
                Ok(Field::named(s))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'a> RawRecord<'a> {
    /// Fills the record from an object's entries; the caller has already seen the `{`.
    pub(crate) fn fill<A: MapAccess<'a>>(&mut self, key: Field, map: &mut A) -> Result<(), A::Error> {
        let value: &'a RawValue = map.next_value()?;
        self.keep(key, value.get());
        Ok(())
    }

    /// Keeps `value` (a field's JSON text) under `key`; any value's extent counts towards the
    /// record's size, kept or skipped.
    fn keep(&mut self, key: Field, value: &'a str) {
        let slot = match key {
            Field::EventName => &mut self.event_name,
            Field::EventSource => &mut self.event_source,
            Field::EventTime => &mut self.event_time,
            Field::EventId => &mut self.event_id,
            Field::EventType => &mut self.event_type,
            Field::AwsRegion => &mut self.aws_region,
            Field::RecipientAccountId => &mut self.recipient_account_id,
            Field::SourceIp => &mut self.source_ip,
            Field::UserAgent => &mut self.user_agent,
            Field::UserIdentity => &mut self.user_identity,
            Field::ErrorCode => &mut self.error_code,
            Field::ErrorMessage => &mut self.error_message,
            Field::SessionCredentialFromConsole => &mut self.session_credential_from_console,
            Field::RequestParameters => &mut self.request_parameters,
            Field::ResponseElements => &mut self.response_elements,
            Field::AdditionalEventData => &mut self.additional_event_data,
            // Skipped unread.
            Field::Records | Field::Detail | Field::DetailType | Field::Other => {
                self.extend(value);
                return;
            }
        };
        // A repeated key: the first counts, as the splitter reads `eventName` (a record no rule
        // wants by its first `eventName` is never scanned further).
        if slot.is_none() {
            *slot = Some(value);
        }
        self.extend(value);
    }

    /// The record's top-level fields from the text of a log file's record (as the splitter cut
    /// it) without a parse: one structural pass ([`crate::cloudtrail::split::object_entries`]).
    /// The values are checked when a rule reads them, as any kept field is. `None` when the text
    /// is not plainly an object (an escaped key, a stray token): parse it to learn why.
    pub(crate) fn from_text(text: &'a str) -> Option<RawRecord<'a>> {
        let mut rec = RawRecord::default();
        crate::cloudtrail::split::object_entries(text, |key, value| rec.keep(Field::named(key), value))?;
        Some(rec)
    }

    fn extend(&mut self, text: &str) {
        let (start, end) = (text.as_ptr() as usize, text.as_ptr() as usize + text.len());
        self.span = if self.span == (0, 0) { (start, end) } else { (self.span.0.min(start), self.span.1.max(end)) };
    }

    /// The record's size in bytes, from its first value to the end of its last (the keys and
    /// braces around them are a few bytes more): what the record-size limit is checked against.
    pub fn len(&self) -> usize {
        self.span.1 - self.span.0
    }

    /// True when the record had no fields.
    pub fn is_empty(&self) -> bool {
        self.span == (0, 0)
    }

    /// Where the record's first kept field starts, as an address inside the buffer it was read
    /// from (for naming the line of a bad record; only computed on error).
    pub fn start_address(&self) -> Option<usize> {
        [
            self.event_name,
            self.event_source,
            self.event_time,
            self.event_id,
            self.event_type,
            self.aws_region,
            self.recipient_account_id,
            self.source_ip,
            self.user_agent,
            self.user_identity,
            self.error_code,
            self.error_message,
            self.session_credential_from_console,
            self.request_parameters,
            self.response_elements,
            self.additional_event_data,
        ]
        .into_iter()
        .flatten()
        .map(|r| r.as_ptr() as usize)
        .min()
    }

    /// The record's `eventName`, the one field read for every record.
    pub fn event_name(&self) -> Result<Cow<'a, str>, FieldError> {
        required_str(self.event_name, "eventName")
    }
}

impl<'de> Deserialize<'de> for RawRecord<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRecord<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CloudTrail record (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut rec = RawRecord::default();
                while let Some(key) = map.next_key::<Field>()? {
                    rec.fill(key, &mut map)?;
                }
                Ok(rec)
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a JSON string without serde when it holds no escapes (nearly always), borrowing it.
fn decode_str<'a>(text: &'a str, field: &str) -> Result<Cow<'a, str>, FieldError> {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        if plain(inner) {
            return Ok(Cow::Borrowed(inner));
        }
        return serde_json::from_str::<String>(text)
            .map(Cow::Owned)
            .map_err(|e| FieldError::new(field, strip_position(&e.to_string())));
    }
    Err(FieldError::new(field, format!("expected a string, found {}", kind_of(text))))
}

fn required_str<'a>(raw: Option<&'a str>, field: &str) -> Result<Cow<'a, str>, FieldError> {
    match raw {
        Some(r) if r != "null" => decode_str(r, field),
        _ => Err(FieldError::missing(field)),
    }
}

fn optional_str<'a>(raw: Option<&'a str>, field: &str) -> Result<Option<Cow<'a, str>>, FieldError> {
    match raw {
        Some(r) if r != "null" => decode_str(r, field).map(Some),
        _ => Ok(None),
    }
}

/// Names the JSON kind of a raw value for messages ("a number", "an object", ...).
pub(crate) fn kind_of(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(_) => "a number",
        None => "nothing",
    }
}

/// serde_json appends " at line L column C"; inside a field that position means nothing to a reader.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Who made the call (`userIdentity`).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity<'a> {
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub principal_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub account_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub invoked_by: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub session_context: Option<SessionContext<'a>>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionContext<'a> {
    #[serde(borrow, default)]
    pub session_issuer: Option<SessionIssuer<'a>>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionIssuer<'a> {
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub arn: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user_name: Option<Cow<'a, str>>,
}

impl<'a> UserIdentity<'a> {
    /// `userIdentity` read by the structural pass when every field it keeps is a plain string
    /// (or null) and none is repeated; `None` otherwise, and serde_json reads it (naming what is
    /// wrong, if anything). The same values either way for valid JSON; what the pass does not
    /// keep (`attributes`, `webIdFederationData`...) is not checked, as in any field no rule reads.
    fn plain(text: &'a str) -> Option<UserIdentity<'a>> {
        let mut who = UserIdentity::default();
        let mut seen = 0u8;
        let mut ok = true;
        entries(text, |key, value| {
            let (bit, slot) = match key {
                "type" => (0, &mut who.kind),
                "arn" => (1, &mut who.arn),
                "userName" => (2, &mut who.user_name),
                "principalId" => (3, &mut who.principal_id),
                "accountId" => (4, &mut who.account_id),
                "invokedBy" => (5, &mut who.invoked_by),
                "sessionContext" => {
                    ok &= seen & 1 << 6 == 0;
                    seen |= 1 << 6;
                    match value {
                        "null" => who.session_context = None,
                        _ => match SessionContext::plain(value) {
                            Some(context) => who.session_context = Some(context),
                            None => ok = false,
                        },
                    }
                    return;
                }
                _ => return,
            };
            ok &= put(slot, value, bit, &mut seen);
        })?;
        ok.then_some(who)
    }
}

impl<'a> SessionContext<'a> {
    fn plain(text: &'a str) -> Option<SessionContext<'a>> {
        let mut context = SessionContext::default();
        let (mut seen, mut ok) = (false, true);
        entries(text, |key, value| {
            if key != "sessionIssuer" {
                return;
            }
            ok &= !seen;
            seen = true;
            context.session_issuer = match value {
                "null" => None,
                _ => SessionIssuer::plain(value).or_else(|| {
                    ok = false;
                    None
                }),
            };
        })?;
        ok.then_some(context)
    }
}

impl<'a> SessionIssuer<'a> {
    fn plain(text: &'a str) -> Option<SessionIssuer<'a>> {
        let mut issuer = SessionIssuer::default();
        let (mut seen, mut ok) = (0u8, true);
        entries(text, |key, value| {
            let (bit, slot) = match key {
                "type" => (0, &mut issuer.kind),
                "arn" => (1, &mut issuer.arn),
                "userName" => (2, &mut issuer.user_name),
                _ => return,
            };
            ok &= put(slot, value, bit, &mut seen);
        })?;
        ok.then_some(issuer)
    }
}

/// An object's entries by the structural pass ([`crate::cloudtrail::split::object_entries`]).
fn entries<'a>(text: &'a str, each: impl FnMut(&'a str, &'a str)) -> Option<()> {
    crate::cloudtrail::split::object_entries(text, each)
}

/// Puts a plain string field (see [`plain_str`]) in `slot`; false when it is not plain or
/// field `bit` of `seen` was already there (a repeat, which serde_json refuses).
fn put<'a>(slot: &mut Option<Cow<'a, str>>, value: &'a str, bit: u8, seen: &mut u8) -> bool {
    let first = *seen & 1 << bit == 0;
    *seen |= 1 << bit;
    match plain_str(value) {
        Some(v) => *slot = v,
        None => return false,
    }
    first
}

/// A JSON value that is `null` or a string without escapes, as serde reads it into
/// `Option<Cow<str>>`; `None` for anything else.
fn plain_str(value: &str) -> Option<Option<Cow<'_, str>>> {
    if value == "null" {
        return Some(None);
    }
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    plain(inner).then_some(Some(Cow::Borrowed(inner)))
}

/// A JSON string's inside that reads as it is: no escapes, and no control characters (which
/// JSON does not allow raw: serde_json reads such a string, and refuses it, naming the field).
fn plain(inner: &str) -> bool {
    !inner.bytes().any(|b| b == b'\\' || b < 0x20)
}

impl UserIdentity<'_> {
    /// `userIdentity.type`, or "" when absent.
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("")
    }

    /// The most specific human name: the user, the role session's issuer, else the ARN's last part.
    pub fn name(&self) -> String {
        if let Some(n) = self.user_name.as_deref() {
            return n.to_string();
        }
        if self.kind() == "Root" {
            return "root".to_string();
        }
        if let Some(n) =
            self.session_context.as_ref().and_then(|s| s.session_issuer.as_ref()).and_then(|i| i.user_name.as_deref())
        {
            return n.to_string();
        }
        self.arn.as_deref().and_then(|a| a.rsplit(['/', ':']).next()).unwrap_or("").to_string()
    }
}

/// A CloudTrail record some rule wants: typed top-level fields, borrowed from the input.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub event_name: Cow<'a, str>,
    pub event_source: Cow<'a, str>,
    pub event_time: Cow<'a, str>,
    pub event_id: Cow<'a, str>,
    pub event_type: Cow<'a, str>,
    pub aws_region: Cow<'a, str>,
    pub account_id: Cow<'a, str>,
    pub source_ip: Cow<'a, str>,
    pub user_agent: Cow<'a, str>,
    pub user_identity: UserIdentity<'a>,
    pub error_code: Option<Cow<'a, str>>,
    pub error_message: Option<Cow<'a, str>>,
    /// `sessionCredentialFromConsole`: the caller's credentials came from a console sign-in.
    pub console_session: bool,
    request_parameters: Option<&'a str>,
    response_elements: Option<&'a str>,
    additional_event_data: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// Types the record's top-level fields. Only `eventName` is required; a field of the wrong
    /// type is an error naming it.
    pub fn from_raw(raw: &RawRecord<'a>) -> Result<Self, FieldError> {
        let text = |r, f| optional_str(r, f).map(Option::unwrap_or_default);
        let user_identity = match raw.user_identity {
            Some(r) if r != "null" => match UserIdentity::plain(r) {
                Some(who) => who,
                None => parse_at(r, "userIdentity")?,
            },
            _ => UserIdentity::default(),
        };
        // recipientAccountId is the account the event belongs to; older and some global
        // events only carry the caller's account.
        let mut account_id = text(raw.recipient_account_id, "recipientAccountId")?;
        if account_id.is_empty() {
            account_id = user_identity.account_id.clone().unwrap_or_default();
        }
        Ok(Event {
            event_name: raw.event_name()?,
            event_source: text(raw.event_source, "eventSource")?,
            event_time: text(raw.event_time, "eventTime")?,
            event_id: text(raw.event_id, "eventID")?,
            event_type: text(raw.event_type, "eventType")?,
            aws_region: text(raw.aws_region, "awsRegion")?,
            account_id,
            source_ip: text(raw.source_ip, "sourceIPAddress")?,
            user_agent: text(raw.user_agent, "userAgent")?,
            user_identity,
            error_code: optional_str(raw.error_code, "errorCode")?,
            error_message: optional_str(raw.error_message, "errorMessage")?,
            // AWS writes the string "true"; a boolean is taken too. Anything else is not a console session.
            console_session: raw.session_credential_from_console.is_some_and(|r| matches!(r, "\"true\"" | "true")),
            request_parameters: raw.request_parameters,
            response_elements: raw.response_elements,
            additional_event_data: raw.additional_event_data,
        })
    }

    /// True when the call failed (`errorCode` present): it changed nothing.
    pub fn failed(&self) -> bool {
        self.error_code.is_some()
    }

    /// `requestParameters` read into `T` (its default when absent or null).
    pub fn request<T: DeserializeOwned + Default>(&self) -> Result<T, FieldError> {
        parse_opt(self.request_parameters, "requestParameters")
    }

    /// `responseElements` read into `T` (its default when absent or null).
    pub fn response<T: DeserializeOwned + Default>(&self) -> Result<T, FieldError> {
        parse_opt(self.response_elements, "responseElements")
    }

    /// `responseElements` read into `T` for what a rule shows but does not decide on: `T`'s
    /// default when absent, null or of another shape. Unlike a whole `Lenient<T>`, nothing is
    /// buffered: fields `T` does not name are skipped unread, as in [`Event::response`].
    pub fn response_or_default<T: DeserializeOwned + Default>(&self) -> T {
        match self.response_elements {
            Some(r) if r != "null" => serde_json::from_str(r).unwrap_or_default(),
            _ => T::default(),
        }
    }

    /// `additionalEventData` read into `T` (its default when absent or null).
    pub fn additional<T: DeserializeOwned + Default>(&self) -> Result<T, FieldError> {
        parse_opt(self.additional_event_data, "additionalEventData")
    }

    /// The raw `requestParameters` text, for rules that walk it themselves.
    pub fn request_raw(&self) -> Option<&'a str> {
        self.request_parameters
    }
}

fn parse_opt<T: DeserializeOwned + Default>(raw: Option<&str>, root: &str) -> Result<T, FieldError> {
    match raw {
        Some(r) if r != "null" => parse_at(r, root),
        _ => Ok(T::default()),
    }
}

/// Deserializes a raw value, naming the exact field (`root.a.items[2].b`) on failure.
fn parse_at<'a, T: Deserialize<'a>>(raw: &'a str, root: &str) -> Result<T, FieldError> {
    // The plain parse is the fast path; only a failure is parsed again to learn the field's path.
    if let Ok(value) = serde_json::from_str(raw) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { root.to_string() } else { format!("{root}.{path}") };
        FieldError::new(field, strip_position(&e.inner().to_string()))
    })
}

/// A value a rule shows but does not decide on: read into `T` when it has `T`'s shape, `None`
/// otherwise (absent, null, or another shape). A field the verdict does not need must never make a
/// rule fail: AWS changes response shapes between resource kinds (an RDS instance's `endpoint` is
/// an object, a cluster's a hostname string) and pipelines reshape records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lenient<T>(pub Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<T> Lenient<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Buffered as a value (only for the few fields declared lenient), then tried as `T`.
        let value = serde_json::Value::deserialize(d)?;
        Ok(Lenient(serde_json::from_value(value).ok()))
    }
}

/// A string, number or boolean read as text: AWS writes some values either way
/// (`"fromPort": 22` but `"MFAUsed": "No"`), so rules that only compare text use this.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar(s.to_string()))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar(b.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// AWS query-protocol lists appear in CloudTrail as `{"items": [...]}`, or `{}` when empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
pub struct Items<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items { items: Vec::new() }
    }
}

/// What a `ConsoleLogin` record says about the sign-in.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ConsoleLogin {
    /// `responseElements.ConsoleLogin`: `Some(true)` for "Success", `Some(false)` for "Failure".
    pub success: Option<bool>,
    /// `additionalEventData.MFAUsed`: `Some(true)` for "Yes", `Some(false)` for "No".
    pub mfa_used: Option<bool>,
}

#[derive(Default, Deserialize)]
struct ConsoleLoginResponse {
    #[serde(rename = "ConsoleLogin")]
    result: Option<Scalar>,
}

#[derive(Default, Deserialize)]
struct ConsoleLoginData {
    #[serde(rename = "MFAUsed")]
    mfa_used: Option<Scalar>,
}

impl Event<'_> {
    /// Reads a `ConsoleLogin` record's outcome and MFA flag.
    pub fn console_login(&self) -> Result<ConsoleLogin, FieldError> {
        let response: ConsoleLoginResponse = self.response()?;
        let data: ConsoleLoginData = self.additional()?;
        let yes_no = |v: Option<Scalar>, yes: &str, no: &str| {
            v.and_then(|s| match s.0.trim() {
                t if t.eq_ignore_ascii_case(yes) => Some(true),
                t if t.eq_ignore_ascii_case(no) => Some(false),
                _ => None,
            })
        };
        Ok(ConsoleLogin {
            success: yes_no(response.result, "Success", "Failure"),
            mfa_used: yes_no(data.mfa_used, "Yes", "No"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The structural reading of `userIdentity` gives serde_json's values, and gives way to
    /// serde_json wherever the two could differ (escapes, repeats, other types).
    #[test]
    fn user_identity_without_serde_reads_as_serde_does() {
        let plain = [
            r#"{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::1:user/alice","accountId":"1","userName":"alice"}"#,
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","sessionContext":{"attributes":{"mfaAuthenticated":"false"},"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/r","userName":"r","accountId":"1"}},"invokedBy":"cloudformation.amazonaws.com"}"#,
            r#" { "type" : "Root" , "sessionContext" : null , "userName" : null } "#,
            r#"{"sessionContext":{"sessionIssuer":null,"webIdFederationData":{}}}"#,
            r#"{"sessionContext":{"sessionIssuer":{}}}"#,
            r#"{}"#,
        ];
        for text in plain {
            let quick = UserIdentity::plain(text).unwrap_or_else(|| panic!("{text}"));
            let serde: UserIdentity = serde_json::from_str(text).unwrap();
            assert_eq!(format!("{quick:?}"), format!("{serde:?}"), "{text}");
        }
        for text in [
            r#"{"userName":"a\u006c"}"#,
            r#"{"arn":"a","arn":"b"}"#,
            r#"{"arn":5}"#,
            r#"{"sessionContext":{"sessionIssuer":{"type":"Role","type":"User"}}}"#,
            r#"{"sessionContext":{"sessionIssuer":[]}}"#,
            r#"{"sessionContext":"x"}"#,
            r#"{"type":"IAMUser""#,
        ] {
            assert!(UserIdentity::plain(text).is_none(), "{text}");
        }
    }
}
