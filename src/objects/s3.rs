//! Log objects read with S3's GetObject (SSE-KMS objects too: S3 decrypts them for a caller
//! allowed to use the key).

use super::{ObjectRef, ObjectStore};

/// GetObject through one client, refusing objects larger than a limit before reading them.
pub struct S3Objects {
    client: aws_sdk_s3::Client,
    max_bytes: u64,
}

impl S3Objects {
    /// `max_bytes`: the largest object read (as stored, compressed). CloudTrail's log objects are
    /// a few MiB; the limit keeps a stray huge object from filling the function's memory.
    pub fn new(client: aws_sdk_s3::Client, max_bytes: u64) -> Self {
        S3Objects { client, max_bytes }
    }
}

impl ObjectStore for S3Objects {
    async fn get(&self, object: &ObjectRef) -> Result<Vec<u8>, String> {
        if let Some(size) = object.size.filter(|&s| s > self.max_bytes) {
            return Err(format!(
                "{size} bytes, over the {} limit for one object",
                crate::cloudtrail::input::mib(self.max_bytes)
            ));
        }
        let out = self
            .client
            .get_object()
            .bucket(&object.bucket)
            .key(&object.key)
            .send()
            .await
            .map_err(|e| format!("GetObject: {}", aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        if let Some(size) = out.content_length().filter(|&s| s as u64 > self.max_bytes) {
            return Err(format!(
                "{size} bytes, over the {} limit for one object",
                crate::cloudtrail::input::mib(self.max_bytes)
            ));
        }
        let body = out.body.collect().await.map_err(|e| format!("reading the object: {e}"))?;
        Ok(body.into_bytes().to_vec())
    }
}
