//! Connections per client address. The listener serves `limits.max_connections` at once; one address may hold at
//! most `limits.max_connections_per_client` of them, so that no single client can take every slot and leave the
//! IdPs waiting. In reverse-proxy mode this matters most: pass-through requests are not authenticated, so anyone
//! who can reach the product's host can open connections. A connection over its address's limit is closed as soon
//! as it is accepted, before the TLS handshake, and counted in `scimgate_connections_refused_total`.

use crate::sync::lock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The open connections of each client address.
#[derive(Debug)]
pub struct PerClient {
    limit: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection; its address's count goes down when it is dropped.
#[derive(Debug)]
pub struct Held {
    clients: Arc<PerClient>,
    ip: IpAddr,
}

impl PerClient {
    /// At most `limit` connections per address.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(PerClient {
            limit,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Count a connection from `ip` in, unless its address already holds the limit. An IPv4 client of a
    /// dual-stack listener counts as its IPv4 address.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Held> {
        let ip = ip.to_canonical();
        let mut open = lock(&self.open);
        let count = open.entry(ip).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Held {
            clients: self.clone(),
            ip,
        })
    }

    /// Connections open from `ip`.
    pub fn open(&self, ip: IpAddr) -> usize {
        lock(&self.open).get(&ip.to_canonical()).copied().unwrap_or(0)
    }

    /// Addresses with a connection open (the map forgets an address once its last connection ends).
    pub fn addresses(&self) -> usize {
        lock(&self.open).len()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut open = lock(&self.clients.open);
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_the_limit_and_gets_its_slots_back() {
        let clients = PerClient::new(2);
        let a: IpAddr = "192.0.2.1".parse().expect("ip");
        let b: IpAddr = "192.0.2.2".parse().expect("ip");
        let first = clients.admit(a).expect("first");
        let second = clients.admit(a).expect("second");
        assert!(clients.admit(a).is_none(), "a third from the same address is refused");
        let other = clients.admit(b).expect("another address has slots of its own");
        assert_eq!((clients.open(a), clients.open(b)), (2, 1));
        drop(first);
        let again = clients.admit(a).expect("a slot freed is given again");
        drop((second, again, other));
        assert_eq!(
            clients.addresses(),
            0,
            "addresses are forgotten with their last connection"
        );
    }

    #[test]
    fn an_ipv4_client_of_a_dual_stack_listener_counts_as_its_ipv4_address() {
        let clients = PerClient::new(1);
        let v4: IpAddr = "198.51.100.7".parse().expect("ip");
        let mapped: IpAddr = "::ffff:198.51.100.7".parse().expect("ip");
        let held = clients.admit(v4).expect("first");
        assert!(clients.admit(mapped).is_none(), "the same client by its mapped address");
        drop(held);
        assert!(clients.admit(mapped).is_some());
    }
}
