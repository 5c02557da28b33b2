//! Names out of the identifiers requests carry: an ARN, a partial ARN or a bare name.

/// A Lambda function's name from `functionName` as requests give it: a name, a partial ARN
/// (`123456789012:function:name`) or a full ARN, with any version or alias qualifier dropped.
pub fn function_name(function: &str) -> String {
    function.rsplit_once(":function:").map_or(function, |(_, n)| n.split(':').next().unwrap_or(n)).to_string()
}

/// Whether `s` is a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn every_form() {
        for f in [
            "f",
            "123456789012:function:f",
            "arn:aws:lambda:eu-west-1:123456789012:function:f",
            "arn:aws:lambda:eu-west-1:123456789012:function:f:live",
        ] {
            assert_eq!(function_name(f), "f", "{f}");
        }
    }
}
