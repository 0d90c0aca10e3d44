//! Whether a far end sits in a data centre (a cloud, hosting or vendor
//! network) rather than an access network where user devices live.

use crate::geo::FarEnd;

/// Words in an AS organisation name that mark hosting and cloud networks.
const DATA_CENTRE_WORDS: &[&str] = &[
    "cloud",
    "hosting",
    "host",
    "datacenter",
    "data center",
    "data centre",
    "server",
    "vps",
    "colo",
    "compute",
    "amazon",
    "google",
    "microsoft",
    "azure",
    "akamai",
    "cdn",
    "digitalocean",
    "linode",
    "ovh",
    "hetzner",
    "leaseweb",
    "vultr",
    "choopa",
    "contabo",
    "scaleway",
    "oracle",
    "alibaba",
    "tencent",
    "facebook",
    "meta platforms",
    "apple",
    "zoom",
    "cloudflare",
    "fastly",
    "i3d",
    "gcore",
    "internet services",
];

/// Why `far` looks like a data-centre address, or `None`.
pub fn data_centre_reason(far: &FarEnd) -> Option<String> {
    let asn = far.asn?;
    if let Some(op) = &far.operator {
        return Some(format!(
            "far end in AS{asn} operated by {op} (a data-centre network)"
        ));
    }
    let org = far.org.as_deref()?;
    let lower = org.to_ascii_lowercase();
    DATA_CENTRE_WORDS
        .iter()
        .find(|w| lower.contains(*w))
        .map(|_| format!("far end in AS{asn} {org} (a hosting/cloud network)"))
}
