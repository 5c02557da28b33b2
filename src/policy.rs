//! Resource and bucket policy documents: who a policy opens a resource to.
