//! Which `Host` a request may name: the defence against DNS rebinding.
//!
//! A web page the author visits can point a name it controls (`evil.example`) at
//! 127.0.0.1 and then read the preview as a same-origin page: gated pages, drafts,
//! the `--as` membership, the sign-in cookie. The browser still sends the page's own
//! name as `Host`, so the preview answers only names that no outside page can rebind:
//!
//! - on a loopback bind: `localhost`, `127.0.0.1`, `[::1]` and the bound address;
//! - on any other bind (`--bind 0.0.0.0` to try the site from a phone): `localhost`
//!   and IP literals (an address is not looked up, so it cannot be rebound). Host
//!   names, even the machine's own (`laptop.local`), are refused: a rebound name
//!   looks exactly like them. Open the site by its address instead.
//!
//! Any port is accepted with these names (an SSH tunnel or port forward changes it; the
//! name is what an attacker would have to control). A request without `Host` (HTTP/1.0)
//! is refused: nothing says which site it meant.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The names a server bound to one address answers.
#[derive(Debug, Clone)]
pub(crate) struct Hosts {
    bind: IpAddr,
}

impl Hosts {
    pub(crate) fn new(bind: IpAddr) -> Hosts {
        Hosts { bind }
    }

    /// Whether a request naming `host` (its `Host` header) and `url` (its target, whose
    /// absolute form names a host too) is for this server.
    pub(crate) fn allows(&self, host: Option<&str>, url: &str) -> bool {
        let Some(host) = host else { return false };
        self.allows_authority(host)
            && absolute_form_authority(url).is_none_or(|a| self.allows_authority(a))
    }

    fn allows_authority(&self, authority: &str) -> bool {
        let Some(name) = host_name(authority) else {
            return false;
        };
        if name.eq_ignore_ascii_case("localhost") {
            return true;
        }
        let Some(ip) = ip_literal(name) else {
            return false;
        };
        if self.bind.is_loopback() {
            ip == IpAddr::V4(Ipv4Addr::LOCALHOST)
                || ip == IpAddr::V6(Ipv6Addr::LOCALHOST)
                || ip == self.bind
        } else {
            true
        }
    }
}

/// The host of an authority `host[:port]` (an IPv6 literal keeps its brackets), if the
/// port is digits and there is no user info.
fn host_name(authority: &str) -> Option<&str> {
    let (name, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        (&authority[..end], &authority[end..])
    } else {
        match authority.rsplit_once(':') {
            Some((name, _)) => (name, &authority[name.len()..]),
            None => (authority, ""),
        }
    };
    let port_ok = match port.strip_prefix(':') {
        Some(digits) => {
            !digits.is_empty() && digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit())
        }
        None => port.is_empty(),
    };
    (port_ok && !name.is_empty()).then_some(name)
}

/// `127.0.0.1` or `[::1]` as an address (strict forms only: no `0x7f.1`, no zone).
fn ip_literal(name: &str) -> Option<IpAddr> {
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => name.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

/// The authority of an absolute-form request target (`http://host:port/path`).
fn absolute_form_authority(url: &str) -> Option<&str> {
    if url.starts_with('/') {
        return None;
    }
    let (_, rest) = url.split_once("://")?;
    Some(rest.find(['/', '?', '#']).map_or(rest, |j| &rest[..j]))
}

/// The 421 for a refused host: short, plain, never cached, naming nothing of the site.
pub(crate) fn misdirected() -> gate::route::Reply {
    gate::route::Reply::plain(
        421,
        "421 Misdirected Request: lyceum serve answers only to localhost, 127.0.0.1 and [::1] \
         (another host name may be a DNS-rebinding page)\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_bind_answers_only_loopback_names() {
        let hosts = Hosts::new("127.0.0.1".parse().unwrap());
        let cases: &[(Option<&str>, &str, bool)] = &[
            (Some("localhost:1111"), "/", true),
            (Some("LOCALHOST:1111"), "/", true),
            (Some("localhost"), "/", true),
            (Some("127.0.0.1:1111"), "/", true),
            (Some("127.0.0.1"), "/", true),
            (Some("[::1]:1111"), "/", true),
            (Some("[::1]"), "/", true),
            (Some("localhost:8080"), "/", true),
            (Some("evil.example:1111"), "/", false),
            (Some("evil.example"), "/", false),
            (Some("localhost.evil.example"), "/", false),
            (Some("localhost."), "/", false),
            (Some("127.0.0.1.nip.io:1111"), "/", false),
            (Some("127.0.0.2:1111"), "/", false),
            (Some("10.0.0.5:1111"), "/", false),
            (Some("0x7f.1:1111"), "/", false),
            (Some("2130706433:1111"), "/", false),
            (Some("[::ffff:127.0.0.1]:1111"), "/", false),
            (Some("localhost:1111@evil.example"), "/", false),
            (Some("localhost:"), "/", false),
            (Some("localhost:x"), "/", false),
            (Some("::1"), "/", false),
            (Some(""), "/", false),
            (None, "/", false),
            (Some("localhost:1111"), "http://localhost:1111/x", true),
            (Some("localhost:1111"), "http://evil.example/x", false),
            (Some("localhost:1111"), "http://evil.example", false),
        ];
        for &(host, url, want) in cases {
            assert_eq!(
                hosts.allows(host, url),
                want,
                "Host {host:?}, target {url:?}"
            );
        }
    }

    #[test]
    fn another_loopback_address_answers_its_own_literal() {
        let hosts = Hosts::new("127.0.0.2".parse().unwrap());
        assert!(hosts.allows(Some("127.0.0.2:1111"), "/"));
        assert!(hosts.allows(Some("localhost:1111"), "/"));
        assert!(!hosts.allows(Some("127.0.0.3:1111"), "/"));
        let hosts = Hosts::new("::1".parse().unwrap());
        assert!(hosts.allows(Some("[::1]:1111"), "/"));
        assert!(!hosts.allows(Some("evil.example"), "/"));
    }

    #[test]
    fn other_binds_answer_addresses_never_names() {
        for bind in ["0.0.0.0", "192.168.1.20", "::"] {
            let hosts = Hosts::new(bind.parse().unwrap());
            for ok in [
                "192.168.1.20:1111",
                "10.0.0.5",
                "[fe80::1]:1111",
                "localhost:1111",
                "127.0.0.1",
            ] {
                assert!(hosts.allows(Some(ok), "/"), "{bind}: {ok}");
            }
            for bad in [
                "laptop.local:1111",
                "evil.example",
                "192.168.1.20.nip.io",
                "[fe80::1%eth0]",
            ] {
                assert!(!hosts.allows(Some(bad), "/"), "{bind}: {bad}");
            }
        }
    }
}
