//! The device's sockets in a call, grouped by address for people to read:
//! a call uses many ports, and a dual-stack device several addresses.

/// The address of a socket written `ip:port` or `[ip]:port`, without the
/// brackets.
pub fn address_of(socket: &str) -> &str {
    address_and_port(socket).0
}

fn address_and_port(socket: &str) -> (&str, &str) {
    let (ip, port) = socket.rsplit_once(':').unwrap_or((socket, ""));
    (ip.trim_start_matches('[').trim_end_matches(']'), port)
}

/// Each address once, in the order first listed, with its ports in
/// numeric order: "192.168.1.10 (ports 5060, 10014), 2001:db8::7 (port
/// 50700)".
pub fn by_address(sockets: &[String]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for socket in sockets {
        let (address, port) = address_and_port(socket);
        match groups.iter_mut().find(|(a, _)| *a == address) {
            Some((_, ports)) => ports.push(port),
            None => groups.push((address, vec![port])),
        }
    }
    let mut text = String::new();
    for (address, mut ports) in groups {
        ports.sort_by_key(|p| (p.len(), *p));
        ports.dedup();
        if !text.is_empty() {
            text.push_str(", ");
        }
        let word = if ports.len() == 1 { "port" } else { "ports" };
        text.push_str(&format!("{address} ({word} {})", ports.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_grouped_by_address_with_ports_in_numeric_order() {
        let sockets: Vec<String> = [
            "192.168.178.162:50308",
            "192.168.178.162:32806",
            "[2001:7e8:c46d:f601:2614:eb2d:c755:fe17]:34358",
            "192.168.178.162:5060",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            by_address(&sockets),
            "192.168.178.162 (ports 5060, 32806, 50308), \
             2001:7e8:c46d:f601:2614:eb2d:c755:fe17 (port 34358)"
        );
        assert_eq!(address_of("[::1]:53"), "::1");
        assert_eq!(address_of("10.0.0.1:5060"), "10.0.0.1");
    }
}
