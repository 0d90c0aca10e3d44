//! `--filter`: which decoded packets to analyse, in the words of tcpdump's
//! filter expressions (pcap-filter(7)) for what callpath keeps of a packet:
//! addresses, ports and transport. It is matched against the decoded
//! packet, so it sees inside tunnels and works on every link type, where a
//! BPF program sees the outer headers of one link type. Files need no
//! libpcap for it.
//!
//! Grammar (a subset of pcap-filter's):
//! ```text
//! expr      = and ("or" | "||") and ...
//! and       = not ("and" | "&&") not ...
//! not       = ("not" | "!") not | "(" expr ")" | primitive
//! primitive = [proto] [dir] kind value | proto
//! proto     = tcp | udp | icmp | icmp6 | ip | ip6
//! dir       = src | dst
//! kind      = host ADDRESS | net ADDRESS[/BITS] | port N | portrange N-M
//! ```

use std::net::IpAddr;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, multispace0};
use nom::combinator::{all_consuming, cut, map_res, opt, verify};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

use super::packet::{L4Proto, PacketView};

/// A parsed filter expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketFilter {
    Any(Vec<PacketFilter>),
    All(Vec<PacketFilter>),
    Not(Box<PacketFilter>),
    Proto(Proto),
    /// Addresses in a network (a host is a full-length prefix).
    Net(Dir, IpAddr, u8),
    /// Ports in an inclusive range.
    Port(Dir, u16, u16),
}

/// Which end of the packet a primitive looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Src,
    Dst,
    Either,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Icmp6,
    Ipv4,
    Ipv6,
}

/// A filter expression callpath cannot read, with where it stopped.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot read the filter {}: callpath's filters take host, net (ADDRESS/BITS), \
     port and portrange, each optionally after src or dst and tcp, udp, icmp, icmp6, ip or ip6; \
     those protocols alone; and, or, not (&&, ||, !) and parentheses",
    if rest.is_empty() { "to its end".to_string() } else { format!("at \"{rest}\"") }
)]
pub struct FilterError {
    rest: String,
}

impl std::str::FromStr for PacketFilter {
    type Err = FilterError;

    fn from_str(text: &str) -> Result<Self, FilterError> {
        match all_consuming(terminated(expr, multispace0)).parse(text) {
            Ok((_, filter)) => Ok(filter),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(FilterError {
                rest: e.input.trim().chars().take(40).collect(),
            }),
            Err(nom::Err::Incomplete(_)) => Err(FilterError {
                rest: text.to_string(),
            }),
        }
    }
}

impl PacketFilter {
    /// Whether the packet is one the filter asks for.
    pub fn matches(&self, p: &PacketView<'_>) -> bool {
        match self {
            PacketFilter::Any(all) => all.iter().any(|f| f.matches(p)),
            PacketFilter::All(all) => all.iter().all(|f| f.matches(p)),
            PacketFilter::Not(f) => !f.matches(p),
            PacketFilter::Proto(proto) => match proto {
                Proto::Tcp => p.l4 == L4Proto::Tcp,
                Proto::Udp => p.l4 == L4Proto::Udp,
                Proto::Icmp => p.l4 == L4Proto::Icmp,
                Proto::Icmp6 => p.l4 == L4Proto::Icmpv6,
                Proto::Ipv4 => p.src.is_ipv4(),
                Proto::Ipv6 => p.src.is_ipv6(),
            },
            PacketFilter::Net(dir, net, bits) => {
                dir.either(p.src, p.dst, |a| in_network(a, *net, *bits))
            }
            // Later fragments carry no ports (nor does ICMP): as with
            // tcpdump, a port primitive does not match them.
            PacketFilter::Port(dir, low, high) => {
                p.l4.has_ports()
                    && dir.either(p.src_port, p.dst_port, |port| {
                        (*low..=*high).contains(&port)
                    })
            }
        }
    }
}

impl Dir {
    fn either<T: Copy>(self, src: T, dst: T, test: impl Fn(T) -> bool) -> bool {
        match self {
            Dir::Src => test(src),
            Dir::Dst => test(dst),
            Dir::Either => test(src) || test(dst),
        }
    }
}

fn in_network(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// A word of the expression: keywords, addresses, numbers.
fn word(i: &str) -> IResult<&str, &str> {
    preceded(
        multispace0,
        take_while1(|c: char| c.is_ascii_alphanumeric() || ".:/-_".contains(c)),
    )
    .parse(i)
}

fn keyword<'a>(
    k: &'static str,
) -> impl Parser<&'a str, Output = &'a str, Error = nom::error::Error<&'a str>> {
    verify(word, move |w: &str| w == k)
}

fn symbol<'a>(
    s: &'static str,
) -> impl Parser<&'a str, Output = &'a str, Error = nom::error::Error<&'a str>> {
    preceded(multispace0, tag(s))
}

fn expr(i: &str) -> IResult<&str, PacketFilter> {
    separated_list1(alt((keyword("or"), symbol("||"))), and_expr)
        .map(|mut all| match all.len() {
            1 => all.remove(0),
            _ => PacketFilter::Any(all),
        })
        .parse(i)
}

fn and_expr(i: &str) -> IResult<&str, PacketFilter> {
    separated_list1(alt((keyword("and"), symbol("&&"))), not_expr)
        .map(|mut all| match all.len() {
            1 => all.remove(0),
            _ => PacketFilter::All(all),
        })
        .parse(i)
}

fn not_expr(i: &str) -> IResult<&str, PacketFilter> {
    alt((
        preceded(alt((keyword("not"), symbol("!"))), not_expr)
            .map(|f| PacketFilter::Not(Box::new(f))),
        delimited(
            preceded(multispace0, char('(')),
            expr,
            preceded(multispace0, char(')')),
        ),
        primitive,
    ))
    .parse(i)
}

fn proto(i: &str) -> IResult<&str, Proto> {
    alt((
        keyword("tcp").map(|_| Proto::Tcp),
        keyword("udp").map(|_| Proto::Udp),
        keyword("icmp6").map(|_| Proto::Icmp6),
        keyword("icmp").map(|_| Proto::Icmp),
        keyword("ip6").map(|_| Proto::Ipv6),
        keyword("ip").map(|_| Proto::Ipv4),
    ))
    .parse(i)
}

fn dir(i: &str) -> IResult<&str, Dir> {
    alt((
        keyword("src").map(|_| Dir::Src),
        keyword("dst").map(|_| Dir::Dst),
    ))
    .parse(i)
}

fn port_number(i: &str) -> IResult<&str, u16> {
    map_res(word, str::parse::<u16>).parse(i)
}

/// `ADDRESS` or `ADDRESS/BITS`, the bits no more than the address has.
fn network(i: &str) -> IResult<&str, (IpAddr, u8)> {
    map_res(word, |w: &str| {
        let (addr, bits) = match w.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (w, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| ())?;
        let full = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b.parse::<u8>().map_err(|_| ())?,
            None => full,
        };
        if bits > full {
            return Err(());
        }
        Ok((addr, bits))
    })
    .parse(i)
}

fn host(i: &str) -> IResult<&str, IpAddr> {
    map_res(word, str::parse::<IpAddr>).parse(i)
}

fn port_range(i: &str) -> IResult<&str, (u16, u16)> {
    map_res(word, |w: &str| {
        let (low, high) = w.split_once('-').ok_or(())?;
        let (low, high) = (
            low.parse::<u16>().map_err(|_| ())?,
            high.parse::<u16>().map_err(|_| ())?,
        );
        Ok::<_, ()>((low.min(high), low.max(high)))
    })
    .parse(i)
}

/// What a primitive's kind and value select, given its direction.
fn selection(i: &str, dir: Dir) -> IResult<&str, PacketFilter> {
    alt((
        preceded(keyword("host"), cut(host)).map(|a| {
            let bits = if a.is_ipv4() { 32 } else { 128 };
            PacketFilter::Net(dir, a, bits)
        }),
        preceded(keyword("net"), cut(network)).map(|(a, bits)| PacketFilter::Net(dir, a, bits)),
        preceded(keyword("portrange"), cut(port_range)).map(|(l, h)| PacketFilter::Port(dir, l, h)),
        preceded(keyword("port"), cut(port_number)).map(|p| PacketFilter::Port(dir, p, p)),
    ))
    .parse(i)
}

fn primitive(i: &str) -> IResult<&str, PacketFilter> {
    let (i, proto) = opt(proto).parse(i)?;
    let (after_dir, dir) = opt(dir).parse(i)?;
    match selection(after_dir, dir.unwrap_or(Dir::Either)) {
        Ok((rest, selected)) => Ok((
            rest,
            match proto {
                Some(p) => PacketFilter::All(vec![PacketFilter::Proto(p), selected]),
                None => selected,
            },
        )),
        // A protocol alone; a direction must have a kind after it.
        Err(e) => match (proto, dir) {
            (Some(p), None) => Ok((i, PacketFilter::Proto(p))),
            _ => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::packet::Fragment;

    fn udp(src: &str, sport: u16, dst: &str, dport: u16) -> PacketView<'static> {
        PacketView {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: sport,
            dst_port: dport,
            l4: L4Proto::Udp,
            payload: &[],
            tcp: None,
            tcp_seq: 0,
            fragment: Fragment::Whole,
            marks: Default::default(),
            macs: Default::default(),
        }
    }

    fn parse(text: &str) -> PacketFilter {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn primitives_match_their_end_of_the_packet() {
        let p = udp("192.168.1.23", 50000, "52.114.77.20", 3478);
        for yes in [
            "host 192.168.1.23",
            "src host 192.168.1.23",
            "dst host 52.114.77.20",
            "net 52.112.0.0/14",
            "dst net 52.112.0.0/14",
            "port 3478",
            "udp dst port 3478",
            "portrange 3478-3481",
            "udp",
            "ip",
        ] {
            assert!(parse(yes).matches(&p), "{yes}");
        }
        for no in [
            "dst host 192.168.1.23",
            "src net 52.112.0.0/14",
            "tcp port 3478",
            "src port 3478",
            "portrange 3479-3481",
            "tcp",
            "ip6",
            "host 2001:db8::1",
        ] {
            assert!(!parse(no).matches(&p), "{no}");
        }
    }

    #[test]
    fn and_or_not_and_parentheses() {
        let p = udp("2001:db8::5", 50000, "2606:4700::1", 443);
        assert!(parse("ip6 and port 443").matches(&p));
        assert!(parse("port 53 or port 443").matches(&p));
        assert!(parse("host 2001:db8::5 && !port 53").matches(&p));
        assert!(!parse("not (port 53 || port 443)").matches(&p));
        assert!(parse("net 2001:db8::/32 and (udp or tcp) and not port 22").matches(&p));
        assert_eq!(
            parse("port 1 or port 2 and port 3"),
            PacketFilter::Any(vec![
                PacketFilter::Port(Dir::Either, 1, 1),
                PacketFilter::All(vec![
                    PacketFilter::Port(Dir::Either, 2, 2),
                    PacketFilter::Port(Dir::Either, 3, 3),
                ]),
            ])
        );
    }

    #[test]
    fn what_it_cannot_read_is_an_error_naming_where() {
        for (bad, at) in [
            ("host 1.2.3", "1.2.3"),
            ("net 10.0.0.0/33", "10.0.0.0/33"),
            ("port 70000", "70000"),
            ("portrange 5-x", "5-x"),
            ("vlan 100", "vlan 100"),
            ("src 10.0.0.1", "10.0.0.1"),
            ("port 53 and", "and"),
            ("(port 53", "(port 53"),
            ("", ""),
        ] {
            let err = bad.parse::<PacketFilter>().unwrap_err().to_string();
            let expected = match at {
                "" => "to its end".to_string(),
                at => format!("at \"{at}\""),
            };
            assert!(
                err.starts_with(&format!("cannot read the filter {expected}:")),
                "{bad}: {err}"
            );
        }
    }
}
