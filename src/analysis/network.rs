//! Port ranges and address ranges: when does a set of security-group permissions open something
//! to the whole internet, and which of it is not on the allowlist?
//!
//! Ranges granted together count together (`0.0.0.0/1` + `128.0.0.0/1` is the whole IPv4
//! internet); a port range is exposed unless *every* port of it is allowlisted; protocol `-1`
//! means every protocol and port.

use std::fmt;
use std::str::FromStr;

use ipnet::{Ipv4Net, Ipv6Net};

/// An IP protocol as security groups name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    /// Any other protocol number (47 GRE, 50 ESP, ...): no ports.
    Number(u8),
}

impl Proto {
    /// Parses `tcp`, `6`, `udp`, `icmp`, `icmpv6`, `58`, `47`...; `-1`/`all` is `Ok(None)`: every protocol.
    pub fn parse(text: &str) -> Result<Option<Proto>, String> {
        let t = text.trim().to_ascii_lowercase();
        Ok(Some(match t.as_str() {
            "-1" | "all" => return Ok(None),
            "tcp" | "6" => Proto::Tcp,
            "udp" | "17" => Proto::Udp,
            "icmp" | "1" => Proto::Icmp,
            "icmpv6" | "58" => Proto::Icmpv6,
            n => match n.parse::<u8>() {
                Ok(n) => Proto::Number(n),
                Err(_) => return Err(format!("unknown IP protocol `{text}`")),
            },
        }))
    }

    /// TCP and UDP have ports; for the others a permission covers the whole protocol.
    pub fn has_ports(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Udp)
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Proto::Tcp => f.write_str("tcp"),
            Proto::Udp => f.write_str("udp"),
            Proto::Icmp => f.write_str("icmp"),
            Proto::Icmpv6 => f.write_str("icmpv6"),
            Proto::Number(n) => write!(f, "protocol {n}"),
        }
    }
}

/// One allowlist entry: `tcp/443`, `udp/53`, `tcp/8000-8100`, `53` (any protocol), `icmp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSpec {
    /// `None`: the port on both TCP and UDP (the old "80,443,53" form).
    pub proto: Option<Proto>,
    pub from: u16,
    pub to: u16,
}

impl PortSpec {
    fn allows(&self, proto: Proto, port: u16) -> bool {
        match self.proto {
            None => proto.has_ports() && (self.from..=self.to).contains(&port),
            Some(p) if p == proto => !proto.has_ports() || (self.from..=self.to).contains(&port),
            Some(_) => false,
        }
    }
}

impl FromStr for PortSpec {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bad = |why: &str| format!("`{text}`: {why} (expected e.g. tcp/443, udp/53, tcp/8000-8100, 53 or icmp)");
        let (proto, ports) = match t.split_once('/') {
            Some((p, ports)) => (Some(p), Some(ports)),
            None if t.chars().all(|c| c.is_ascii_digit() || c == '-') => (None, Some(t)),
            None => (Some(t), None),
        };
        let proto = match proto {
            Some(p) => Some(Proto::parse(p).map_err(|e| bad(&e))?.ok_or_else(|| bad("cannot allow every protocol"))?),
            None => None,
        };
        let (from, to) = match ports {
            None => match proto {
                Some(p) if !p.has_ports() => (0, u16::MAX),
                _ => return Err(bad("a TCP or UDP entry needs a port")),
            },
            Some(ports) => {
                let port = |s: &str| s.trim().parse::<u16>().map_err(|_| bad("not a port number"));
                match ports.split_once('-') {
                    Some((a, b)) => (port(a)?, port(b)?),
                    None => (port(ports)?, port(ports)?),
                }
            }
        };
        if from > to {
            return Err(bad("range runs backwards"));
        }
        Ok(PortSpec { proto, from, to })
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if let Some(p) = self.proto {
            if !p.has_ports() {
                return write!(f, "{p}");
            }
            write!(f, "{p}/")?;
        }
        if self.from == self.to { write!(f, "{}", self.from) } else { write!(f, "{}-{}", self.from, self.to) }
    }
}

/// A list of allowlisted ports, parsed from `tcp/80,tcp/443` or the old `80,443,53` form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortList(pub Vec<PortSpec>);

impl PortList {
    pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        let mut specs = Vec::new();
        for item in items {
            for part in item.as_ref().split(',').map(str::trim).filter(|p| !p.is_empty()) {
                specs.push(part.parse()?);
            }
        }
        Ok(PortList(specs))
    }

    pub fn allows(&self, proto: Proto, port: u16) -> bool {
        self.0.iter().any(|s| s.allows(proto, port))
    }

    /// The sub-ranges of `from..=to` on `proto` that no entry allows.
    fn uncovered(&self, proto: Proto, from: u16, to: u16) -> Vec<(u16, u16)> {
        if !proto.has_ports() {
            return if self.allows(proto, 0) { Vec::new() } else { vec![(from, to)] };
        }
        let mut allowed: Vec<(u16, u16)> = self
            .0
            .iter()
            .filter(|s| s.proto.is_none() || s.proto == Some(proto))
            .filter(|s| s.to >= from && s.from <= to)
            .map(|s| (s.from.max(from), s.to.min(to)))
            .collect();
        allowed.sort();
        let mut gaps = Vec::new();
        let mut next = u32::from(from);
        for (a, b) in allowed {
            if u32::from(a) > next {
                gaps.push((next as u16, a - 1));
            }
            next = next.max(u32::from(b) + 1);
        }
        if next <= u32::from(to) {
            gaps.push((next as u16, to));
        }
        gaps
    }
}

impl fmt::Display for PortList {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(", "))
    }
}

/// One permission of a security-group call: a protocol, a port range and the address ranges it opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    /// `None`: every protocol (`-1`).
    pub proto: Option<Proto>,
    /// Inclusive port range (meaningful for TCP and UDP only).
    pub from: u16,
    pub to: u16,
    pub v4: Vec<Ipv4Net>,
    pub v6: Vec<Ipv6Net>,
}

/// What the granted ranges expose to the whole internet that the allowlist does not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// `None`: every protocol.
    pub proto: Option<Proto>,
    /// The exposed port range, for TCP and UDP.
    pub ports: Option<(u16, u16)>,
    /// Which internet: IPv4, IPv6 or both.
    pub ipv4: bool,
    pub ipv6: bool,
}

impl Exposure {
    /// Reads like `tcp/22`, `tcp/22-443`, `all traffic`, `icmp`.
    pub fn service(&self) -> String {
        match (self.proto, self.ports) {
            (None, _) => "all traffic".to_string(),
            (Some(p), Some((a, b))) if a == b => format!("{p}/{a}"),
            (Some(p), Some((0, u16::MAX))) => format!("{p}/all ports"),
            (Some(p), Some((a, b))) => format!("{p}/{a}-{b}"),
            (Some(p), None) => p.to_string(),
        }
    }

    /// `0.0.0.0/0`, `::/0` or both.
    pub fn internet(&self) -> &'static str {
        match (self.ipv4, self.ipv6) {
            (true, true) => "0.0.0.0/0 and ::/0",
            (false, true) => "::/0",
            _ => "0.0.0.0/0",
        }
    }

    /// True when the exposure includes `port` on `proto` (or every protocol).
    pub fn includes(&self, proto: Proto, port: u16) -> bool {
        match (self.proto, self.ports) {
            (None, _) => true,
            (Some(p), Some((a, b))) => p == proto && (a..=b).contains(&port),
            (Some(p), None) => p == proto,
        }
    }
}

/// The permissions of the call that opened `open` to the internet, as the EC2 API's JSON
/// (`[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]`,
/// what `--ip-permissions` and the responder's `ec2-revoke-ingress` take): each grant that
/// overlaps an exposure, with its ranges outside private address space (those never reach the
/// internet, and revoking them would take more than the call added). Built from parsed values
/// only, so it holds no quote.
pub fn permissions_json(grants: &[Grant], open: &[Exposure]) -> String {
    let private_v4: [Ipv4Net; 6] =
        ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"]
            .map(|n| n.parse().unwrap_or_default());
    let private_v6: [Ipv6Net; 2] = ["fc00::/7", "fe80::/10"].map(|n| n.parse().unwrap_or_default());
    let overlaps = |g: &Grant, e: &Exposure| match (g.proto, e.proto) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) if a != b => false,
        (Some(p), Some(_)) => match e.ports {
            Some((lo, hi)) if p.has_ports() => g.from <= hi && lo <= g.to,
            _ => true,
        },
    };
    let mut out = Vec::new();
    for g in grants.iter().filter(|g| open.iter().any(|e| overlaps(g, e))) {
        let v4: Vec<String> =
            g.v4.iter()
                .filter(|n| !private_v4.iter().any(|p| p.contains(*n)))
                .map(|n| format!(r#"{{"CidrIp":"{n}"}}"#))
                .collect();
        let v6: Vec<String> =
            g.v6.iter()
                .filter(|n| !private_v6.iter().any(|p| p.contains(*n)))
                .map(|n| format!(r#"{{"CidrIpv6":"{n}"}}"#))
                .collect();
        if v4.is_empty() && v6.is_empty() {
            continue;
        }
        let mut item = match g.proto {
            None => r#"{"IpProtocol":"-1""#.to_string(),
            Some(p) => {
                let name = match p {
                    Proto::Number(n) => n.to_string(),
                    other => other.to_string(),
                };
                let ports = match p {
                    Proto::Tcp | Proto::Udp => Some((i64::from(g.from), i64::from(g.to))),
                    // ICMP type and code; "all" was -1 in the call.
                    Proto::Icmp | Proto::Icmpv6 if (g.from, g.to) == (0, u16::MAX) => Some((-1, -1)),
                    Proto::Icmp | Proto::Icmpv6 => Some((i64::from(g.from), i64::from(g.to))),
                    Proto::Number(_) => None,
                };
                match ports {
                    Some((f, t)) => format!(r#"{{"IpProtocol":"{name}","FromPort":{f},"ToPort":{t}"#),
                    None => format!(r#"{{"IpProtocol":"{name}""#),
                }
            }
        };
        if !v4.is_empty() {
            item.push_str(&format!(r#","IpRanges":[{}]"#, v4.join(",")));
        }
        if !v6.is_empty() {
            item.push_str(&format!(r#","Ipv6Ranges":[{}]"#, v6.join(",")));
        }
        item.push('}');
        out.push(item);
    }
    format!("[{}]", out.join(","))
}

/// Remote administration, databases, caches and control planes: never meant for the internet.
pub const SENSITIVE_PORTS: &[(Proto, u16)] = &[
    (Proto::Tcp, 20),
    (Proto::Tcp, 21),
    (Proto::Tcp, 22),
    (Proto::Tcp, 23),
    (Proto::Tcp, 135),
    (Proto::Tcp, 139),
    (Proto::Tcp, 445),
    (Proto::Tcp, 1433),
    (Proto::Tcp, 1521),
    (Proto::Tcp, 2375),
    (Proto::Tcp, 2379),
    (Proto::Tcp, 3306),
    (Proto::Tcp, 3389),
    (Proto::Tcp, 5432),
    (Proto::Tcp, 5900),
    (Proto::Tcp, 5985),
    (Proto::Tcp, 6379),
    (Proto::Tcp, 9200),
    (Proto::Tcp, 11211),
    (Proto::Tcp, 27017),
    (Proto::Udp, 161),
];

/// True when the exposure is critical: every protocol, or a port of [`SENSITIVE_PORTS`].
pub fn critical_exposure(open: &[Exposure]) -> bool {
    open.iter().any(|e| e.proto.is_none() || SENSITIVE_PORTS.iter().any(|&(p, port)| e.includes(p, port)))
}

/// `tcp/22 from 0.0.0.0/0; udp/53 from ::/0`
pub fn describe(open: &[Exposure]) -> String {
    open.iter().map(|e| format!("{} from {}", e.service(), e.internet())).collect::<Vec<_>>().join("; ")
}

fn covers_world_v4(nets: &[Ipv4Net]) -> bool {
    let nets: Vec<Ipv4Net> = nets.iter().map(Ipv4Net::trunc).collect();
    Ipv4Net::aggregate(&nets).first().is_some_and(|n| n.prefix_len() == 0)
}

fn covers_world_v6(nets: &[Ipv6Net]) -> bool {
    let nets: Vec<Ipv6Net> = nets.iter().map(Ipv6Net::trunc).collect();
    Ipv6Net::aggregate(&nets).first().is_some_and(|n| n.prefix_len() == 0)
}

/// Everything the grants open to the whole internet (IPv4 or IPv6) that `allow` does not cover.
/// A port range is reported whole when any port of it is not allowlisted.
pub fn exposures(grants: &[Grant], allow: &PortList) -> Vec<Exposure> {
    let mut out = Vec::new();
    let world = |relevant: &[&Grant]| {
        let v4: Vec<Ipv4Net> = relevant.iter().flat_map(|g| g.v4.iter().copied()).collect();
        let v6: Vec<Ipv6Net> = relevant.iter().flat_map(|g| g.v6.iter().copied()).collect();
        (covers_world_v4(&v4), covers_world_v6(&v6))
    };

    // TCP and UDP: cut the port space at every range boundary; in each piece the ranges of
    // every grant covering it add up.
    for proto in [Proto::Tcp, Proto::Udp] {
        let spans: Vec<(u32, u32, &Grant)> = grants
            .iter()
            .filter(|g| g.proto.is_none() || g.proto == Some(proto))
            .map(|g| if g.proto.is_none() { (0, 65535, g) } else { (u32::from(g.from), u32::from(g.to), g) })
            .collect();
        let mut cuts: Vec<u32> = spans.iter().flat_map(|&(a, b, _)| [a, b + 1]).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut open: Vec<Exposure> = Vec::new();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1] - 1);
            let relevant: Vec<&Grant> = spans.iter().filter(|s| s.0 <= a && b <= s.1).map(|s| s.2).collect();
            if relevant.is_empty() {
                continue;
            }
            let (ipv4, ipv6) = world(&relevant);
            if !(ipv4 || ipv6) || allow.uncovered(proto, a as u16, b as u16).is_empty() {
                continue;
            }
            match open.last_mut() {
                Some(last)
                    if last.ports.is_some_and(|(_, e)| u32::from(e) + 1 == a)
                        && (last.ipv4, last.ipv6) == (ipv4, ipv6) =>
                {
                    last.ports = last.ports.map(|(s, _)| (s, b as u16));
                }
                _ => open.push(Exposure { proto: Some(proto), ports: Some((a as u16, b as u16)), ipv4, ipv6 }),
            }
        }
        out.extend(open);
    }

    // Protocols without ports: each one named, then "every other protocol" from `-1` grants.
    let mut protos: Vec<Proto> = grants.iter().filter_map(|g| g.proto).filter(|p| !p.has_ports()).collect();
    protos.sort();
    protos.dedup();
    for proto in protos {
        let relevant: Vec<&Grant> = grants.iter().filter(|g| g.proto.is_none() || g.proto == Some(proto)).collect();
        let (ipv4, ipv6) = world(&relevant);
        if (ipv4 || ipv6) && !allow.allows(proto, 0) {
            out.push(Exposure { proto: Some(proto), ports: None, ipv4, ipv6 });
        }
    }
    let every: Vec<&Grant> = grants.iter().filter(|g| g.proto.is_none()).collect();
    if !every.is_empty() {
        let (ipv4, ipv6) = world(&every);
        if ipv4 || ipv6 {
            // Every protocol is open: that one line says it all.
            out.retain(|e| (e.ipv4, e.ipv6) != (ipv4, ipv6));
            out.insert(0, Exposure { proto: None, ports: None, ipv4, ipv6 });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(proto: &str, from: u16, to: u16, cidrs: &[&str]) -> Grant {
        let mut g = Grant { proto: Proto::parse(proto).unwrap(), from, to, ..Grant::default() };
        for c in cidrs {
            match c.parse::<ipnet::IpNet>().unwrap() {
                ipnet::IpNet::V4(n) => g.v4.push(n),
                ipnet::IpNet::V6(n) => g.v6.push(n),
            }
        }
        g
    }

    fn services(grants: &[Grant], allow: &str) -> Vec<String> {
        let allow = PortList::parse_list(&[allow]).unwrap();
        exposures(grants, &allow).iter().map(|e| format!("{} {}", e.service(), e.internet())).collect()
    }

    #[test]
    fn a_range_fires_unless_every_port_is_allowed() {
        assert_eq!(services(&[grant("tcp", 22, 443, &["0.0.0.0/0"])], "tcp/443"), ["tcp/22-443 0.0.0.0/0"]);
        assert!(services(&[grant("tcp", 443, 443, &["0.0.0.0/0"])], "tcp/443").is_empty());
        assert!(services(&[grant("tcp", 80, 81, &["0.0.0.0/0"])], "tcp/80,tcp/81").is_empty());
    }

    #[test]
    fn host_bits_do_not_hide_a_zero_prefix() {
        assert_eq!(services(&[grant("tcp", 22, 22, &["203.0.113.7/0"])], "tcp/443"), ["tcp/22 0.0.0.0/0"]);
    }

    #[test]
    fn ranges_granted_together_add_up() {
        let g = [grant("tcp", 22, 22, &["0.0.0.0/1"]), grant("tcp", 22, 22, &["128.0.0.0/1"])];
        assert_eq!(services(&g, "tcp/443"), ["tcp/22 0.0.0.0/0"]);
        // Halves of the internet on different ports do not make one port world-open.
        let g = [grant("tcp", 22, 22, &["0.0.0.0/1"]), grant("tcp", 23, 23, &["128.0.0.0/1"])];
        assert!(services(&g, "tcp/443").is_empty());
    }

    #[test]
    fn every_protocol_and_ipv6() {
        assert_eq!(services(&[grant("-1", 0, 0, &["::/0"])], "tcp/443"), ["all traffic ::/0"]);
        assert_eq!(services(&[grant("icmp", 0, 0, &["0.0.0.0/0"])], "tcp/443"), ["icmp 0.0.0.0/0"]);
        assert!(services(&[grant("icmp", 0, 0, &["0.0.0.0/0"])], "icmp").is_empty());
        assert!(services(&[grant("tcp", 22, 22, &["10.0.0.0/8", "::1/128"])], "").is_empty());
    }

    #[test]
    fn old_allowlist_form_means_any_protocol() {
        let allow = PortList::parse_list(&["80,443,53"]).unwrap();
        assert!(allow.allows(Proto::Udp, 53) && allow.allows(Proto::Tcp, 53) && !allow.allows(Proto::Tcp, 22));
        assert!(PortList::parse_list(&["tcp/"]).is_err());
        assert!(PortList::parse_list(&["tcp/70000"]).is_err());
        assert!(PortList::parse_list(&["bogus/1"]).is_err());
    }
}

/// The request of `AuthorizeSecurityGroupIngress` / `AuthorizeSecurityGroupEgress`, in both forms
/// CloudTrail records: `ipPermissions.items[]`, and the top-level `cidrIp/ipProtocol/fromPort/toPort`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupRequest {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    #[serde(default)]
    pub ip_permissions: crate::cloudtrail::event::Items<IpPermission>,
    pub cidr_ip: Option<String>,
    pub ip_protocol: Option<String>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
}

/// One entry of `ipPermissions.items`. Sources that are security groups or prefix lists are not
/// address ranges and are not read.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpPermission {
    pub ip_protocol: Option<String>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    #[serde(default)]
    pub ip_ranges: crate::cloudtrail::event::Items<CidrV4>,
    #[serde(default)]
    pub ipv6_ranges: crate::cloudtrail::event::Items<CidrV6>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CidrV4 {
    pub cidr_ip: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CidrV6 {
    pub cidr_ipv6: Option<String>,
}

impl SecurityGroupRequest {
    /// The group the call changed: its id, else its name (default-VPC calls may give only that).
    pub fn group(&self) -> String {
        self.group_id.clone().or_else(|| self.group_name.clone()).unwrap_or_default()
    }

    /// Every permission of the call as a [`Grant`]; a malformed value is an error naming its field.
    pub fn grants(&self) -> Result<Vec<Grant>, crate::cloudtrail::event::FieldError> {
        let mut grants = Vec::new();
        for (i, p) in self.ip_permissions.items.iter().enumerate() {
            let at = format!("requestParameters.ipPermissions.items[{i}]");
            let mut g = grant_of(&at, p.ip_protocol.as_deref(), p.from_port, p.to_port)?;
            for (j, r) in p.ip_ranges.items.iter().enumerate() {
                if let Some(c) = &r.cidr_ip {
                    g.v4.push(parse_net(c, &format!("{at}.ipRanges.items[{j}].cidrIp"))?);
                }
            }
            for (j, r) in p.ipv6_ranges.items.iter().enumerate() {
                if let Some(c) = &r.cidr_ipv6 {
                    g.v6.push(parse_net(c, &format!("{at}.ipv6Ranges.items[{j}].cidrIpv6"))?);
                }
            }
            grants.push(g);
        }
        if let Some(c) = &self.cidr_ip {
            let mut g = grant_of("requestParameters", self.ip_protocol.as_deref(), self.from_port, self.to_port)?;
            match c.parse::<ipnet::IpNet>() {
                Ok(ipnet::IpNet::V4(n)) => g.v4.push(n),
                Ok(ipnet::IpNet::V6(n)) => g.v6.push(n),
                Err(_) => return Err(bad_cidr("requestParameters.cidrIp", c)),
            }
            grants.push(g);
        }
        Ok(grants)
    }
}

fn bad_cidr(field: &str, text: &str) -> crate::cloudtrail::event::FieldError {
    crate::cloudtrail::event::FieldError::new(field, format!("`{text}` is not a CIDR range"))
}

fn parse_net<N: FromStr>(text: &str, field: &str) -> Result<N, crate::cloudtrail::event::FieldError> {
    text.trim().parse().map_err(|_| bad_cidr(field, text))
}

fn grant_of(
    at: &str,
    proto: Option<&str>,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Grant, crate::cloudtrail::event::FieldError> {
    use crate::cloudtrail::event::FieldError;
    let proto = match proto {
        Some(p) => Proto::parse(p).map_err(|m| FieldError::new(format!("{at}.ipProtocol"), m))?,
        // Without a protocol the call could not have succeeded; assume the worst.
        None => None,
    };
    let port = |v: Option<i64>, name: &str, default: u16| match v {
        None | Some(-1) => Ok(default),
        Some(n) => {
            u16::try_from(n).map_err(|_| FieldError::new(format!("{at}.{name}"), format!("{n} is not a port number")))
        }
    };
    let (from, to) = (port(from, "fromPort", 0)?, port(to, "toPort", u16::MAX)?);
    if proto.is_some_and(Proto::has_ports) && from > to {
        return Err(FieldError::new(format!("{at}.toPort"), format!("port range {from}-{to} runs backwards")));
    }
    Ok(Grant { proto, from, to, ..Grant::default() })
}
