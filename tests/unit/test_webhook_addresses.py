"""Which URLs may be registered and which addresses a delivery may reach (SSRF defence)."""

from __future__ import annotations

import ipaddress

import pytest

from sellerjobs.webhooks.addresses import EndpointPolicy, UrlRefused

DEPLOYED = EndpointPolicy()
LOCAL = EndpointPolicy(allow_loopback=True)

REFUSED_ADDRESSES = {
    "private 10/8": "10.1.2.3",
    "private 172.16/12": "172.16.0.9",
    "private 192.168/16": "192.168.1.1",
    "loopback": "127.0.0.1",
    "loopback elsewhere in 127/8": "127.9.9.9",
    "link-local (instance metadata)": "169.254.169.254",
    "shared address space": "100.64.0.1",
    "unspecified": "0.0.0.0",
    "multicast": "224.0.0.1",
    "broadcast": "255.255.255.255",
    "IPv6 loopback": "::1",
    "IPv6 link-local": "fe80::1",
    "IPv6 unique-local": "fd00::1",
    "IPv6 unique-local fc00::/7": "fc12::1",
    "IPv4-mapped private": "::ffff:10.0.0.1",
    "IPv4-mapped metadata": "::ffff:169.254.169.254",
}


@pytest.mark.parametrize("address", REFUSED_ADDRESSES.values(), ids=REFUSED_ADDRESSES.keys())
def test_non_public_addresses_are_refused(address):
    assert not DEPLOYED.allowed(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UrlRefused) as refused:
        DEPLOYED.target(f"https://{host}/hook")
    assert refused.value.field == "url"


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert DEPLOYED.allowed(ipaddress.ip_address(address))


def test_a_name_resolving_to_a_private_address_is_refused_even_beside_a_public_one():
    target = DEPLOYED.target("https://hooks.example.com/in")
    with pytest.raises(UrlRefused, match=r"10\.0\.0\.5"):
        DEPLOYED.check(target, ["93.184.215.14", "10.0.0.5"])
    with pytest.raises(UrlRefused, match="does not resolve"):
        DEPLOYED.check(target, [])
    assert [str(a) for a in DEPLOYED.check(target, ["93.184.215.14"])] == ["93.184.215.14"]


@pytest.mark.parametrize(("url", "why"), [
    ("http://hooks.example.com/in", "https"),
    ("ftp://hooks.example.com/in", "https"),
    ("hooks.example.com/in", "https"),
    ("https:///no-host", "host"),
    ("https://user:pass@hooks.example.com/in", "credentials"),
    ("https://hooks.example.com:99999/in", "valid URL"),
    ("https://hooks.example.com/" + "a" * 2030, "2048"),
])
def test_malformed_or_unsafe_urls_are_refused_naming_the_field(url, why):
    with pytest.raises(UrlRefused, match=why) as refused:
        DEPLOYED.target(url)
    assert refused.value.field == "url"


def test_the_local_setting_allows_loopback_and_http_only_for_it():
    target = LOCAL.target("http://127.0.0.1:3001/hooks/alice")
    assert target.port == 3001 and [str(a) for a in LOCAL.check(target, ["127.0.0.1"])] == ["127.0.0.1"]
    with pytest.raises(UrlRefused, match="loopback"):
        LOCAL.check(LOCAL.target("http://hooks.example.com/in"), ["93.184.215.14"])
    with pytest.raises(UrlRefused):
        LOCAL.target("http://10.0.0.1/in")
    with pytest.raises(UrlRefused):
        DEPLOYED.target("http://127.0.0.1:3001/hooks/alice")
