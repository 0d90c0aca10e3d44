#!/usr/bin/env bash
# Rebuilds data/geo/callpath-geo.mmdb, the geolocation database embedded in callpath.
#
# Usage: scripts/build-geo-db.sh [VERSION]
#   VERSION: the ip-location-db npm version to use (default: the one in data/geo/VERSION;
#            pass "latest" for the newest). Needs npm, python3 (standard library only), tar.
#
# It fetches four npm packages with `npm pack` into a temporary directory (nothing is installed
# globally), merges them with scripts/build-geo-db.py and writes:
#   data/geo/callpath-geo.mmdb  the merged MaxMind DB (country + ASN + organisation + ASN country)
#   data/geo/VERSION            the package version used (its last part is the data date YYYYMMDDHH)
# Then update the date in data/geo/SOURCES.md by hand if it changed, and run `cargo test --lib geo`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
version="${1:-$(cat "$repo/data/geo/VERSION" 2>/dev/null || echo latest)}"
if [ "$version" = latest ]; then
  version="$(npm view @ip-location-db/asn version)"
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
for pkg in geo-whois-asn-country asn asn-country; do
  npm pack --silent "@ip-location-db/$pkg@$version" >/dev/null
  mkdir -p "$pkg"
  tar xzf "ip-location-db-$pkg-$version.tgz" -C "$pkg"
done
python3 "$repo/scripts/build-geo-db.py" \
  --geo geo-whois-asn-country/package \
  --asn asn/package \
  --asnc asn-country/package \
  --version "$version" \
  --out "$repo/data/geo/callpath-geo.mmdb"
echo "$version" > "$repo/data/geo/VERSION"
ls -l "$repo/data/geo/callpath-geo.mmdb"
