package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/bursar/bursar/internal/check"
)

// refusedPrefixes are the networks a delivery never reaches (beyond what netip's predicates name): cloud metadata,
// carrier-grade NAT, "this network", IETF protocol assignments, benchmarking, reserved and broadcast.
var refusedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, with the metadata service 169.254.169.254
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"), // reserved and 255.255.255.255
	netip.MustParsePrefix("fd00:ec2::254/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
}

// nat64 and sixToFour embed an IPv4 address, which is checked too.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Refused says whether a delivery must not connect to a: loopback, private (RFC 1918, fc00::/7), link-local
// (169.254/16, fe80::/10, the cloud metadata addresses), unspecified, multicast, CGNAT (100.64/10), 0/8, reserved,
// and IPv4-mapped, NAT64 and 6to4 forms of these.
func Refused(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() {
		return true
	}
	if a.Is6() {
		if nat64.Contains(a) {
			b := a.As16()
			return Refused(netip.AddrFrom4([4]byte(b[12:16])))
		}
		if sixToFour.Contains(a) {
			b := a.As16()
			return Refused(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range refusedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// RefusedAddressError is a connection the guard stopped: the address the name resolved to is not public.
type RefusedAddressError struct{ Addr string }

func (e *RefusedAddressError) Error() string {
	return fmt.Sprintf("refused address %s: not a public address", e.Addr)
}

// guard is the dialer's Control: it runs for every connection, after DNS resolution, on the address dialled.
func guard(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &RefusedAddressError{Addr: address}
	}
	a, err := netip.ParseAddr(host)
	if err != nil || Refused(a) {
		return &RefusedAddressError{Addr: host}
	}
	return nil
}

// newClient is the deliveries' HTTP client: no proxy (it would reach what the guard refuses), no redirect followed
// (a 3xx is returned as is), every connection checked by guard unless allowPrivate, each try bounded by timeout.
func newClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = guard
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// maxURL bounds an endpoint's URL.
const maxURL = 2000

// checkURL validates an endpoint's URL: absolute, https unless allowPrivate, no user info, no fragment, and not a
// refused literal address or a localhost name unless allowPrivate. Problems are added to e under "url".
func checkURL(e check.Errors, raw string, allowPrivate bool) {
	if raw == "" {
		e.Add("url", "is required")
		return
	}
	if len(raw) > maxURL {
		e.Add("url", fmt.Sprintf("must be at most %d characters", maxURL))
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		e.Add("url", "must be an absolute URL such as https://example.com/hooks/bursar")
		return
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowPrivate:
	case u.Scheme == "http":
		e.Add("url", "must use https")
		return
	default:
		e.Add("url", "must be an https URL")
		return
	}
	if u.User != nil {
		e.Add("url", "must not carry a user name or password")
		return
	}
	if u.Fragment != "" {
		e.Add("url", "must not have a #fragment")
		return
	}
	if allowPrivate {
		return
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		e.Add("url", "must not point to this machine (localhost)")
		return
	}
	if a, err := netip.ParseAddr(host); err == nil && Refused(a) {
		e.Add("url", "must not point to a private, loopback, link-local or metadata address")
		return
	}
	if strings.Trim(host, "0123456789.") == "" || strings.HasPrefix(host, "0x") {
		// 2130706433, 0x7f.1, 127.1: numeric forms some resolvers read as addresses.
		if _, err := netip.ParseAddr(host); err != nil {
			e.Add("url", "must name a host or a complete IP address")
		}
	}
}

var errRedirect = errors.New("redirect not followed")
