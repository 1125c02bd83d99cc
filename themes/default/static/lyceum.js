/* lyceum default theme — progressive enhancement only.
 * Shows who is signed in (from /_lyceum/me) in the header, and helps the member forms
 * (the sign-in page's `next` and error message, the remembered email on the code form).
 * Every content decision is made on the server, and every form posts without this
 * script. Server data is only ever written with textContent. /_lyceum/me is asked only
 * when the sign-in route's readable `lyceum_signed_in` hint cookie says a session
 * exists: an anonymous page view makes no request and logs no 401. */
(function () {
  "use strict";

  var EMAIL_KEY = "lyceum_email";
  var HINT = "lyceum_signed_in";

  var box = document.getElementById("lyceum-account");
  var zh = /^zh/i.test((box && box.getAttribute("data-lang")) || document.documentElement.lang || "");
  var t = zh
    ? {
        signedIn: "已登录",
        account: "我的账户",
        signOut: "退出登录",
        signIn: "登录",
        statusAs: "你已登录：",
        statusNoLevel: "你已登录，但还没有会员等级。",
        short: "你当前的会员等级不包含本文，升级后即可阅读全文。",
        noLevel: "你已登录，但还没有会员等级：选择一个会员方案即可阅读全文。",
        none: "无",
        open: "长期有效",
        renews: "自动续费于 ",
        ends: "到期于 ",
        grace: "付款失败，宽限期至 ",
        noHistory: "还没有购买记录。",
        events: {
          "checkout.session.completed": "付款完成",
          "checkout.session.async_payment_succeeded": "付款完成",
          "customer.subscription.created": "订阅开始",
          "customer.subscription.updated": "订阅变更",
          "customer.subscription.deleted": "订阅结束",
          "invoice.paid": "续费成功",
          "invoice.payment_failed": "续费失败",
          "charge.refunded": "已退款",
          "charge.dispute.created": "付款争议"
        }
      }
    : {
        signedIn: "Signed in",
        account: "Account",
        signOut: "Sign out",
        signIn: "Sign in",
        statusAs: "You are signed in: ",
        statusNoLevel: "You are signed in, without a membership level yet.",
        short: "Your current membership doesn't include this page — upgrade to read it.",
        noLevel: "You are signed in without a membership level: choose a plan to read this page.",
        none: "None",
        open: "No end date",
        renews: "Renews on ",
        ends: "Ends on ",
        grace: "Payment failed; access until ",
        noHistory: "Nothing bought yet.",
        events: {
          "checkout.session.completed": "Payment",
          "checkout.session.async_payment_succeeded": "Payment",
          "customer.subscription.created": "Subscription started",
          "customer.subscription.updated": "Subscription changed",
          "customer.subscription.deleted": "Subscription ended",
          "invoice.paid": "Renewal paid",
          "invoice.payment_failed": "Renewal failed",
          "charge.refunded": "Refund",
          "charge.dispute.created": "Dispute"
        }
      };

  markCurrentNav();
  enhanceSigninPage();
  rememberEmail();
  if (!box || !window.fetch) return;

  var signinUrl = box.getAttribute("data-signin-url") || "";
  var accountUrl = box.getAttribute("data-account-url") || "/account/";
  var signoutAction = box.getAttribute("data-signout-action") || "/_lyceum/signout";
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

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text != null) e.textContent = text;
    return e;
  }

  function clear() {
    while (box.firstChild) box.removeChild(box.firstChild);
  }

  function showSignedIn(me) {
    var level = me.level == null ? null : String(me.level);
    clear();
    box.appendChild(el("span", "who", level == null ? t.signedIn : levelName(level)));
    var account = el("a", "account-link", t.account);
    account.href = accountUrl;
    box.appendChild(account);
    // Sign out is a POST (a link would let any site sign the reader out).
    var form = el("form", "signout");
    form.method = "post";
    form.action = signoutAction;
    var button = el("button", "linklike", t.signOut);
    button.type = "submit";
    form.appendChild(button);
    box.appendChild(form);

    var status = document.getElementById("lyceum-account-status");
    if (status) {
      status.textContent = level == null ? t.statusNoLevel : t.statusAs + levelName(level);
    }
    fillAccountPlan();

    // On a teaser the reader is signed in: no sign-in form; say what is missing.
    var wall = document.querySelector(".paywall[data-required]");
    var hint = document.getElementById("lyceum-signin-hint");
    var signin = document.getElementById("lyceum-paywall-signin");
    if (wall) {
      if (signin) signin.hidden = true;
      var need = ids.indexOf(wall.getAttribute("data-required"));
      var have = level == null ? -1 : ids.indexOf(level);
      if (hint && (level == null || (have >= 0 && need > have))) {
        hint.textContent = level == null ? t.noLevel : t.short;
        hint.className += " is-short";
      }
    }
  }

  // /account/: the level, until when, the courses and the purchase history, from
  // GET /_lyceum/account/summary (the page says the same in "Download my data" without it).
  function fillAccountPlan() {
    var plan = document.getElementById("lyceum-account-plan");
    if (!plan) return;
    var productIds = parseList(plan.getAttribute("data-product-ids"));
    var productNames = parseList(plan.getAttribute("data-product-names"));
    function productName(id) {
      var i = productIds.indexOf(id);
      return i >= 0 && typeof productNames[i] === "string" ? productNames[i] : String(id);
    }
    function day(secs) {
      return typeof secs === "number" ? new Date(secs * 1000).toISOString().slice(0, 10) : "";
    }
    function money(amount, currency) {
      if (typeof amount !== "number" || typeof currency !== "string") return "";
      try {
        var f = new Intl.NumberFormat(zh ? "zh-CN" : "en", { style: "currency", currency: currency.toUpperCase() });
        return f.format(amount / Math.pow(10, f.resolvedOptions().maximumFractionDigits));
      } catch (e) {
        return amount + " " + currency.toUpperCase();
      }
    }
    function set(id, text) {
      var e = document.getElementById(id);
      if (e) e.textContent = text;
    }
    fetch(plan.getAttribute("data-summary-url") || "/_lyceum/account/summary", {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (a) {
        if (!a || typeof a !== "object") return;
        set("lyceum-plan-level", a.level == null ? t.none : levelName(String(a.level)));
        var live = (a.subscriptions || []).filter(function (s) { return s && s.live; })[0];
        var until = t.open;
        if (live && typeof live.period_end === "number") {
          var word = live.status === "past_due" ? t.grace : live.status === "active" || live.status === "trialing" ? t.renews : t.ends;
          until = word + day(live.period_end);
        } else if (typeof a.level_until === "number") {
          until = t.ends + day(a.level_until);
        } else if (a.level == null) {
          until = "—";
        }
        set("lyceum-plan-until", until);
        var owned = (a.products || []).map(function (p) {
          return productName(String(p.id)) + (typeof p.until === "number" ? " (" + t.ends + day(p.until) + ")" : "");
        });
        set("lyceum-plan-products", owned.length ? owned.join(zh ? "、" : ", ") : t.none);
        var body = document.getElementById("lyceum-plan-history");
        if (body) {
          var rows = a.history || [];
          if (!rows.length) {
            var tr = el("tr");
            var td = el("td", "muted", t.noHistory);
            td.colSpan = 3;
            tr.appendChild(td);
            body.appendChild(tr);
          }
          rows.forEach(function (e) {
            var row = el("tr");
            row.appendChild(el("td", null, day(e.at)));
            row.appendChild(el("td", null, t.events[e.type] || String(e.type)));
            row.appendChild(el("td", null, money(e.amount, e.currency)));
            body.appendChild(row);
          });
        }
        plan.hidden = false;
      })
      .catch(function () { /* no account service here: the section stays hidden */ });
  }

  function showSignedOut() {
    clear();
    if (!signinUrl) return;
    var a = el("a", "account-signin", t.signIn);
    a.href = signinUrl;
    box.appendChild(a);
  }

  function hinted() {
    return document.cookie.split(";").some(function (c) {
      return c.trim() === HINT + "=1";
    });
  }
  // Signed out, the header's own "Sign in" link stays as the page has it.
  if (!hinted()) return;

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

  function query(name) {
    var pairs = location.search.replace(/^\?/, "").split("&");
    for (var i = 0; i < pairs.length; i++) {
      var kv = pairs[i].split("=");
      if (kv[0] === name) {
        try {
          return decodeURIComponent((kv[1] || "").replace(/\+/g, " "));
        } catch (e) {
          return null;
        }
      }
    }
    return null;
  }

  // /signin/: `?next=` goes into the form (the server checks it is a same-site path),
  // `?error=email` shows the message.
  function enhanceSigninPage() {
    var next = document.getElementById("lyceum-signin-next");
    var wanted = query("next");
    if (next && wanted && wanted.charAt(0) === "/" && wanted.charAt(1) !== "/" && wanted.charAt(1) !== "\\") {
      next.value = wanted;
    }
    var error = document.getElementById("lyceum-signin-error");
    if (error && query("error") === "email") {
      error.hidden = false;
      var input = document.getElementById("signin-email");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", error.id);
      }
    }
  }

  // The address typed into a sign-in form is kept for this tab only, so the code form
  // on /signin/sent/ is filled in.
  function rememberEmail() {
    var store;
    try {
      store = window.sessionStorage;
      store.getItem(EMAIL_KEY);
    } catch (e) {
      return; // storage disabled: the reader types the address again
    }
    var inputs = document.querySelectorAll("input.lyceum-email");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (!input.value) {
        var saved = store.getItem(EMAIL_KEY);
        if (saved) input.value = saved;
      }
      if (input.form) {
        input.form.addEventListener("submit", save(input));
      }
    }
    function save(input) {
      return function () {
        try {
          store.setItem(EMAIL_KEY, input.value.trim());
        } catch (e) { /* full or disabled: nothing to keep */ }
      };
    }
  }

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
