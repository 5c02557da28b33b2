//! Properties of the port-range and CIDR logic, checked against a plain brute-force model.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use proptest::prelude::*;
use trailwarden::analysis::network::{Grant, PortList, PortSpec, Proto, exposures};

/// Does the union of the ranges cover every IPv4 address? Sweep sorted intervals.
fn model_world_v4(nets: &[Ipv4Net]) -> bool {
    let mut spans: Vec<(u64, u64)> =
        nets.iter().map(|n| (u64::from(u32::from(n.network())), u64::from(u32::from(n.broadcast())))).collect();
    spans.sort();
    let mut next = 0u64;
    for (a, b) in spans {
        if a > next {
            return false;
        }
        next = next.max(b + 1);
    }
    next > u64::from(u32::MAX)
}

fn model_world_v6(nets: &[Ipv6Net]) -> bool {
    let mut spans: Vec<(u128, u128)> =
        nets.iter().map(|n| (u128::from(n.network()), u128::from(n.broadcast()))).collect();
    spans.sort();
    let mut next = 0u128;
    for (a, b) in spans {
        if a > next {
            return false;
        }
        if b == u128::MAX {
            return true;
        }
        next = next.max(b + 1);
    }
    false
}

/// Fires iff some (protocol, port) granted by ranges that together cover the world is not allowlisted.
fn model_fires(grants: &[Grant], allow: &PortList) -> bool {
    let protos = [Proto::Tcp, Proto::Udp, Proto::Icmp, Proto::Number(47)];
    for proto in protos {
        let ports: Vec<u16> = if proto.has_ports() { (0..=u16::MAX).collect() } else { vec![0] };
        for port in ports {
            let covering: Vec<&Grant> = grants
                .iter()
                .filter(|g| match g.proto {
                    None => true,
                    Some(p) => p == proto && (!proto.has_ports() || (g.from..=g.to).contains(&port)),
                })
                .collect();
            if covering.is_empty() {
                continue;
            }
            let v4: Vec<Ipv4Net> = covering.iter().flat_map(|g| g.v4.clone()).collect();
            let v6: Vec<Ipv6Net> = covering.iter().flat_map(|g| g.v6.clone()).collect();
            if (model_world_v4(&v4) || model_world_v6(&v6)) && !allow.allows(proto, port) {
                return true;
            }
        }
    }
    false
}

fn v4net() -> impl Strategy<Value = Ipv4Net> {
    // Short prefixes make world coverage likely; host bits are left set on purpose.
    (any::<u32>(), 0u8..=3).prop_map(|(a, len)| Ipv4Net::new(Ipv4Addr::from(a), len).unwrap())
}

fn v6net() -> impl Strategy<Value = Ipv6Net> {
    (any::<u128>(), 0u8..=2).prop_map(|(a, len)| Ipv6Net::new(Ipv6Addr::from(a), len).unwrap())
}

fn proto() -> impl Strategy<Value = Option<Proto>> {
    prop_oneof![
        3 => Just(Some(Proto::Tcp)),
        2 => Just(Some(Proto::Udp)),
        1 => Just(Some(Proto::Icmp)),
        1 => Just(Some(Proto::Number(47))),
        1 => Just(None),
    ]
}

/// Ports cluster around the allowlist so "every port allowed" and "one port outside" both happen.
fn port() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..=30, 78u16..=90, 440u16..=445, Just(u16::MAX), any::<u16>()]
}

fn grant() -> impl Strategy<Value = Grant> {
    (proto(), port(), port(), prop::collection::vec(v4net(), 0..3), prop::collection::vec(v6net(), 0..2))
        .prop_map(|(proto, a, b, v4, v6)| Grant { proto, from: a.min(b), to: a.max(b), v4, v6 })
}

fn allowlist() -> impl Strategy<Value = PortList> {
    let spec = (
        prop_oneof![Just(None), Just(Some(Proto::Tcp)), Just(Some(Proto::Udp)), Just(Some(Proto::Icmp))],
        port(),
        0u16..20,
    )
        .prop_map(|(proto, from, len)| PortSpec { proto, from, to: from.saturating_add(len) });
    prop::collection::vec(spec, 0..4).prop_map(PortList)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn fires_iff_some_granted_port_outside_the_allowlist_is_open_to_the_world(
        grants in prop::collection::vec(grant(), 0..4),
        allow in allowlist(),
    ) {
        let got = exposures(&grants, &allow);
        prop_assert_eq!(!got.is_empty(), model_fires(&grants, &allow), "{:?}", got);
        for e in &got {
            prop_assert!(e.ipv4 || e.ipv6);
        }
    }

    #[test]
    fn allowing_every_exposed_port_silences_it(grants in prop::collection::vec(grant(), 0..4)) {
        let everything = PortList(vec![
            PortSpec { proto: None, from: 0, to: u16::MAX },
            PortSpec { proto: Some(Proto::Icmp), from: 0, to: u16::MAX },
            PortSpec { proto: Some(Proto::Number(47)), from: 0, to: u16::MAX },
        ]);
        let only_all_protocols = exposures(&grants, &everything).iter().all(|e| e.proto.is_none());
        prop_assert!(only_all_protocols);
    }

    #[test]
    fn allowlist_entries_round_trip(spec in (prop_oneof![Just(None), Just(Some(Proto::Tcp)), Just(Some(Proto::Udp))], port(), 0u16..100)
        .prop_map(|(proto, from, len)| PortSpec { proto, from, to: from.saturating_add(len) })) {
        prop_assert_eq!(spec.to_string().parse::<PortSpec>(), Ok(spec));
    }
}
