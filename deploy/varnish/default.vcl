# Varnish in front of Marginalia, with the xkey vmod for purges by surrogate key.
#
#   varnishd -a :6081 -f deploy/varnish/default.vcl -s malloc,256m
#
# Needs Debian's `varnish` and `varnish-modules` (xkey). What it does:
#
# * Caches anonymous GET and HEAD only for as long as the app says. Freshness comes from,
#   in order: Surrogate-Control (targeted at surrogates, i.e. this proxy), CDN-Cache-Control
#   (RFC 9213, targeted at any CDN), then Cache-Control (s-maxage before max-age, Expires:
#   Varnish's own parsing). A targeted field replaces Cache-Control entirely, as RFC 9213
#   says, so browsers can keep a short max-age while this cache keeps a long one.
#   A response that states no freshness at all is not cached: Varnish's default TTL
#   would otherwise keep, say, a 404 of a post about to be published, with no key to
#   purge it by.
# * `stale-while-revalidate` (in the field that set the TTL) becomes grace: after expiry
#   the stale copy is served while one background fetch refreshes it.
# * Requests with Authorization (staff), and every method but GET/HEAD, go straight to
#   the app and are never stored.
# * Objects are indexed by the space-separated keys of the app's Surrogate-Key header
#   (xkey). `PURGE` with `xkey-purge: key1 key2` (or `xkey-softpurge:` to keep the
#   objects for grace) from an address in the `purgers` ACL drops every object carrying
#   any of the keys and answers 200 with the count, in an `xkey-purged` header and a JSON
#   body {"purged": N}. This is what MARGINALIA_VARNISH_URL points the app's purger at.
# * Surrogate-Key and Surrogate-Control never reach clients. X-Cache says HIT, HIT-STALE
#   (served in grace), MISS or PASS; Age is Varnish's own.
#
# Behind Varnish the app sees Varnish as its client: set MARGINALIA_TRUSTED_PROXIES=1 so
# the commenter's address comes from the X-Forwarded-For Varnish appends.

vcl 4.1;

import std;
import xkey;

# `marginalia serve`'s default address.
backend marginalia {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
}

# Who may purge. The app's purger runs next to Varnish here; list the app hosts' private
# addresses when they run elsewhere.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    # Headers this VCL sets for itself are never taken from a client.
    unset req.http.x-marginalia-purged;

    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (req.http.xkey-purge) {
            set req.http.x-marginalia-purged = xkey.purge(req.http.xkey-purge);
        } elsif (req.http.xkey-softpurge) {
            set req.http.x-marginalia-purged = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (synth(400, "A PURGE needs an xkey-purge or xkey-softpurge header"));
        }
        return (synth(200, "Purged"));
    }

    if (req.http.Authorization) {
        return (pass);  # staff views: private, and may show drafts
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Marginalia reads no cookies (it has no cookie session), so a browser's cookies for
    # the site's other pages must not turn every read into a miss.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);  # a pass: never stored
    }
    if (beresp.http.Surrogate-Control) {
        set beresp.http.x-marginalia-cc = beresp.http.Surrogate-Control;
    } elsif (beresp.http.CDN-Cache-Control) {
        set beresp.http.x-marginalia-cc = beresp.http.CDN-Cache-Control;
    }

    if (beresp.http.x-marginalia-cc) {
        if (beresp.http.x-marginalia-cc ~ "(?i)(^|[\s,])(no-store|no-cache|private)\b") {
            call marginalia_uncacheable;
        }
        if (beresp.http.x-marginalia-cc !~ "(?i)(^|[\s,])max-age\s*=\s*\d+") {
            call marginalia_uncacheable;  # a targeted field without a lifetime
        }
        # Only statuses HTTP lets a cache store by default; the app's errors never get a
        # lifetime from a targeted field by accident.
        if (beresp.status != 200 && beresp.status != 203 && beresp.status != 204 &&
            beresp.status != 300 && beresp.status != 301 && beresp.status != 404 &&
            beresp.status != 410 && beresp.status != 414) {
            call marginalia_uncacheable;
        }
        set beresp.ttl = std.duration(
            regsub(beresp.http.x-marginalia-cc,
                "(?i)^(.*[\s,])?max-age\s*=\s*(\d+).*$", "\2") + "s", 0s)
            - std.duration(std.integer(beresp.http.Age, 0) + "s", 0s);
        if (beresp.http.x-marginalia-cc ~ "(?i)(^|[\s,])stale-while-revalidate\s*=\s*\d+") {
            set beresp.grace = std.duration(
                regsub(beresp.http.x-marginalia-cc,
                    "(?i)^(.*[\s,])?stale-while-revalidate\s*=\s*(\d+).*$", "\2") + "s", 0s);
        } else {
            set beresp.grace = 0s;
        }
        unset beresp.http.x-marginalia-cc;
    } else {
        # Cache-Control as Varnish parsed it (s-maxage, max-age, stale-while-revalidate
        # as grace, Expires), but only when it says something: no default TTL.
        if (beresp.http.Cache-Control !~ "(?i)(s-maxage|max-age)\s*=" && !beresp.http.Expires) {
            call marginalia_uncacheable;
        }
        if (beresp.http.Cache-Control ~ "(?i)(no-store|no-cache|private)") {
            call marginalia_uncacheable;
        }
    }

    if (beresp.ttl <= 0s || beresp.http.Set-Cookie || beresp.http.Vary == "*") {
        call marginalia_uncacheable;
    }
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;  # what vmod_xkey indexes
    }
    return (deliver);
}

# Not stored; later requests for the object go to the app without waiting on each other
# (hit-for-miss), as Varnish's built-in VCL does it.
sub marginalia_uncacheable {
    unset beresp.http.x-marginalia-cc;
    set beresp.ttl = 120s;
    set beresp.uncacheable = true;
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        if (obj.ttl < 0s) {
            set resp.http.X-Cache = "HIT-STALE";
        } else {
            set resp.http.X-Cache = "HIT";
        }
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The keys and the surrogate lifetime are for caches, not for browsers.
    unset resp.http.Surrogate-Key;
    unset resp.http.Surrogate-Control;
    unset resp.http.xkey;
    return (deliver);
}

sub vcl_synth {
    if (req.method == "PURGE") {
        set resp.http.Cache-Control = "no-store";
        if (resp.status == 200) {
            set resp.http.Content-Type = "application/json";
            set resp.http.xkey-purged = req.http.x-marginalia-purged;
            set resp.body = {"{"purged": "} + req.http.x-marginalia-purged + "}";
        } else {
            set resp.http.Content-Type = "application/problem+json";
            set resp.body = {"{"type": "about:blank", "status": "} + resp.status
                + {", "title": ""} + resp.reason + {"""} + "}";
        }
        return (deliver);
    }
}
