//! Network addresses as text without the `core::fmt` machinery. The client's address goes into every request's
//! log line and into the forwarding fields of every pass-through request; an IPv4 address is four numbers, and
//! writing them by hand costs a fraction of `Display`.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// An address written out, exactly as its `Display` writes it, kept on the stack.
#[derive(Clone, Copy)]
pub struct AddrText {
    // The longest: `[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535`, 58 bytes.
    bytes: [u8; 64],
    len: usize,
}

impl AddrText {
    /// An IP address: `192.0.2.7`, `2001:db8::7`.
    pub fn ip(ip: IpAddr) -> Self {
        let mut text = AddrText { bytes: [0; 64], len: 0 };
        match ip {
            IpAddr::V4(v4) => {
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        text.push(b'.');
                    }
                    if octet >= 100 {
                        text.push(b'0' + octet / 100);
                    }
                    if octet >= 10 {
                        text.push(b'0' + octet / 10 % 10);
                    }
                    text.push(b'0' + octet % 10);
                }
            }
            // Rare enough for `Display`; it fits, so the write cannot fail.
            IpAddr::V6(v6) => {
                let _ = write!(text, "{v6}");
            }
        }
        text
    }

    /// A socket address: `192.0.2.7:51234`, `[2001:db8::7]:51234`.
    pub fn socket(addr: SocketAddr) -> Self {
        match addr {
            SocketAddr::V4(v4) => {
                let mut text = AddrText::ip(IpAddr::V4(*v4.ip()));
                text.push(b':');
                for &digit in itoa::Buffer::new().format(v4.port()).as_bytes() {
                    text.push(digit);
                }
                text
            }
            SocketAddr::V6(v6) => {
                let mut text = AddrText { bytes: [0; 64], len: 0 };
                let _ = write!(text, "{v6}");
                text
            }
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }
}

impl std::fmt::Write for AddrText {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl std::fmt::Debug for AddrText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};

    #[test]
    fn writes_the_longest_addresses_whole() {
        let v6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(u128::MAX), 65535, 0, u32::MAX));
        assert_eq!(AddrText::socket(v6).as_str(), v6.to_string());
        let v4 = SocketAddr::from((Ipv4Addr::from(u32::MAX), 65535));
        assert_eq!(AddrText::socket(v4).as_str(), "255.255.255.255:65535");
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped());
        assert_eq!(AddrText::ip(mapped).as_str(), "::ffff:192.0.2.7");
        assert_eq!(
            AddrText::socket(SocketAddr::from(([10, 0, 0, 1], 80))).as_str(),
            "10.0.0.1:80"
        );
        assert_eq!(
            AddrText::socket(SocketAddr::from(([0, 0, 100, 9], 0))).as_str(),
            "0.0.100.9:0"
        );
    }

    proptest! {
        #[test]
        fn writes_what_display_writes(bits in any::<u32>(), bits6 in any::<u128>(), port in any::<u16>(), scope in any::<u32>()) {
            let v4 = IpAddr::V4(Ipv4Addr::from(bits));
            prop_assert_eq!(AddrText::ip(v4).as_str().to_owned(), v4.to_string());
            let v6 = IpAddr::V6(Ipv6Addr::from(bits6));
            prop_assert_eq!(AddrText::ip(v6).as_str().to_owned(), v6.to_string());
            let socket = SocketAddr::new(v4, port);
            prop_assert_eq!(AddrText::socket(socket).as_str().to_owned(), socket.to_string());
            let socket = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(bits6), port, 0, scope));
            prop_assert_eq!(AddrText::socket(socket).as_str().to_owned(), socket.to_string());
        }
    }
}
