/* lyceum default theme — progressive enhancement only.
 * Shows who is signed in (from /_lyceum/me) in the header. Every content decision is made
 * on the server; without this script the site is fully usable. Server data is only ever
 * written with textContent. /_lyceum/me is asked only when the login route's readable
 * `lyceum_signed_in` hint cookie says a session exists: an anonymous page view makes no
 * request and logs no 401. */
(function () {
  "use strict";

  var box = document.getElementById("lyceum-account");
  markCurrentNav();
  if (!box || !window.fetch) return;

  var zh = /^zh/i.test(box.getAttribute("data-lang") || document.documentElement.lang || "");
  var t = zh
    ? { signedIn: "已登录：", signOut: "退出登录", signIn: "登录 / 加入", short: "你当前的会员等级不包含本文，升级后即可阅读全文。" }
    : { signedIn: "Signed in as ", signOut: "Sign out", signIn: "Sign in", short: "Your current membership doesn't include this page — upgrade to read it." };
  var membershipUrl = box.getAttribute("data-membership-url") || "/membership/";
  var ids = parseList(box.getAttribute("data-level-ids"));
  var names = parseList(box.getAttribute("data-level-names"));

  function parseList(s) {
    try {
      var v = JSON.parse(s || "[]");
      return Array.isArray(v) ? v : [];
    } catch (e) {
      return [];
    }
  }

  function levelName(id) {
    var i = ids.indexOf(id);
    return i >= 0 && typeof names[i] === "string" ? names[i] : String(id);
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function clear() {
    while (box.firstChild) box.removeChild(box.firstChild);
  }

  function showSignedIn(me) {
    clear();
    var who = document.createElement("span");
    who.className = "who";
    var sub = document.createElement("span");
    sub.className = "sub";
    sub.textContent = String(me.sub);
    who.appendChild(document.createTextNode(t.signedIn));
    who.appendChild(sub);
    if (me.level != null) {
      who.appendChild(document.createTextNode(" (" + levelName(String(me.level)) + ")"));
    }
    who.title = who.textContent;
    box.appendChild(who);
    box.appendChild(link("/_lyceum/logout", t.signOut));

    // On a teaser the member is signed in but below the required level: say so.
    var wall = document.querySelector(".paywall[data-required]");
    var hint = document.getElementById("lyceum-signin-hint");
    if (wall && hint) {
      var need = ids.indexOf(wall.getAttribute("data-required"));
      var have = ids.indexOf(String(me.level));
      if (have >= 0 && need > have) {
        hint.textContent = t.short;
        hint.className += " is-short";
      }
    }
  }

  function showSignedOut() {
    clear();
    box.appendChild(link(membershipUrl, t.signIn));
  }

  var HINT = "lyceum_signed_in";
  function hinted() {
    return document.cookie.split(";").some(function (c) {
      return c.trim() === HINT + "=1";
    });
  }
  if (!hinted()) return showSignedOut();

  fetch("/_lyceum/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (res) {
      if (res.status === 401) {
        // The session ended (expired, revoked): drop the stale hint so the next page asks nothing.
        document.cookie = HINT + "=; Path=/; Max-Age=0; Secure; SameSite=Lax";
        return showSignedOut();
      }
      if (!res.ok) return; // no account service here (e.g. a plain static preview): stay quiet
      return res.json().then(function (me) {
        if (me && typeof me === "object" && me.sub != null) showSignedIn(me);
      });
    })
    .catch(function () { /* offline or no worker: leave the header as it is */ });

  function markCurrentNav() {
    var path = location.pathname;
    var links = document.querySelectorAll(".site-nav a");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href");
      if (href && href !== "/" && path.indexOf(href) === 0) {
        links[i].setAttribute("aria-current", path === href ? "page" : "true");
      }
    }
  }
})();
