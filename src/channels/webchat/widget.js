/*
 * Parley web chat widget. Embed on your site:
 *   <script src="https://parley.example.com/webchat/widget.js" data-account="12" async></script>
 * Plain DOM, no framework, no innerHTML: every text (yours, your team's, the visitor's)
 * is set with textContent. Styles live in a shadow root (constructable stylesheet, so a
 * strict style-src CSP on your page is fine); the page only needs to allow this script
 * and connections to Parley (script-src and connect-src).
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || !script.src) return;
  var ACCOUNT = script.getAttribute('data-account') || '';
  if (!/^\d{1,12}$/.test(ACCOUNT)) {
    if (window.console) console.warn('[parley] the widget script needs data-account="<web chat account id>"');
    return;
  }
  var seen = (window.__parleyWebchat = window.__parleyWebchat || {});
  if (seen[ACCOUNT]) return;
  seen[ACCOUNT] = true;

  var BASE = new URL(script.src, location.href).origin;
  var API = BASE + '/webchat/' + ACCOUNT;
  var KEY = 'parley-webchat:' + BASE + ':' + ACCOUNT;
  var CSS =
    ':host{all:initial;--accent:#1f6feb}' +
    '.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:999px;padding:12px 18px;background:var(--accent);color:#fff;font:600 15px/1.2 system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}' +
    '.launcher:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #fb8500;outline-offset:2px}' +
    '.panel{position:fixed;right:20px;bottom:76px;z-index:2147483001;width:min(360px,calc(100vw - 40px));height:min(520px,calc(100vh - 120px));display:flex;flex-direction:column;background:#fff;color:#1b1f24;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif;overflow:hidden}' +
    '.panel[hidden]{display:none}' +
    'header{background:var(--accent);color:#fff;padding:12px 40px 12px 14px;position:relative}' +
    'h2{margin:0;font-size:16px}' +
    '.close{position:absolute;right:8px;top:8px;background:transparent;color:#fff;border:0;font-size:20px;line-height:1;cursor:pointer;padding:4px 8px}' +
    '.status{margin:4px 0 0;font-size:13px}' +
    '.dot{width:8px;height:8px;border-radius:50%;background:#d0d7de;display:inline-block;margin-right:6px}' +
    '.is-open .dot{background:#3fb950}' +
    '.hours,.reply{margin:2px 0 0;font-size:12px}' +
    '.log{flex:1;overflow-y:auto;margin:0;padding:12px;list-style:none;background:#f6f8fa}' +
    '.msg{max-width:85%;width:fit-content;margin:0 0 8px;padding:8px 10px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}' +
    '.visitor{margin-left:auto;background:var(--accent);color:#fff}' +
    '.agent{margin-right:auto;background:#fff;border:1px solid #d0d7de}' +
    '.greeting{font-style:italic}' +
    '.meta{display:block;font-size:11px;opacity:.8;margin-top:2px}' +
    '.failed{outline:2px solid #cf222e}' +
    'form{display:flex;gap:8px;padding:10px;border-top:1px solid #d0d7de;margin:0}' +
    'textarea{flex:1;resize:none;font:inherit;padding:8px;border:1px solid #8c959f;border-radius:8px;height:38px}' +
    '.send{border:0;border-radius:8px;background:var(--accent);color:#fff;font:600 14px system-ui,sans-serif;padding:0 14px;cursor:pointer}' +
    '.notice{margin:0;padding:0 12px 8px;font-size:12px;color:#cf222e}' +
    '.notice:empty{display:none}' +
    '.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}';

  // The token Parley issued this visitor (POST /sessions). One Parley did not issue (say, kept
  // from before Parley recorded the tokens it issues) is refused with 401: the widget drops it
  // and the visitor's next message starts a new chat; the earlier one stays with the team.
  var token = '';
  try { token = localStorage.getItem(KEY) || ''; } catch (e) { /* storage blocked: this page view only */ }
  var starting = null;
  var etag = '';
  var polling = false;
  var unread = 0;
  var configured = false;
  var nodes = {};
  var pending = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function attr(e, name, value) { e.setAttribute(name, value); return e; }
  function saveToken(t) {
    token = t;
    try { if (t) localStorage.setItem(KEY, t); else localStorage.removeItem(KEY); } catch (e) { /* ignore */ }
  }
  // only the token a refused request carried: a newer one may have replaced it meanwhile
  function dropToken(t) { if (t && token === t) saveToken(''); }
  function randomId() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    var s = '';
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }
  function time(at) {
    var d = new Date(at);
    return isNaN(d.getTime()) ? '' : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  }

  function request(method, path, body) {
    var headers = {};
    var used = token;
    if (used) headers.authorization = 'Bearer ' + used;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(API + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store', mode: 'cors' }).then(function (res) {
      return res.text().then(function (t) {
        var json = null;
        try { json = t ? JSON.parse(t) : null; } catch (e) { /* not JSON */ }
        if (!res.ok) {
          var err = new Error((json && json.detail) || 'HTTP ' + res.status);
          err.status = res.status;
          err.retryAfter = Number(res.headers.get('retry-after')) || 0;
          err.token = used;
          throw err;
        }
        return json;
      });
    });
  }

  // ---- the DOM, in a shadow root
  var host = attr(el('div'), 'data-parley-webchat', ACCOUNT);
  var root = host.attachShadow({ mode: 'open' });
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el('style', null, CSS));
  }
  var launcher = attr(attr(attr(el('button', 'launcher', 'Chat with us'), 'type', 'button'), 'aria-expanded', 'false'), 'aria-controls', 'parley-panel');
  var panel = attr(attr(attr(el('section', 'panel'), 'id', 'parley-panel'), 'role', 'dialog'), 'aria-labelledby', 'parley-title');
  panel.hidden = true;
  var header = el('header');
  var title = attr(el('h2', null, 'Chat'), 'id', 'parley-title');
  var closeBtn = attr(attr(el('button', 'close', '\u00d7'), 'type', 'button'), 'aria-label', 'Close chat');
  var status = el('p', 'status');
  var dot = attr(el('span', 'dot'), 'aria-hidden', 'true');
  var statusText = el('span', 'status-text', 'Loading\u2026');
  status.appendChild(dot);
  status.appendChild(statusText);
  var hours = el('p', 'hours');
  var replyTime = el('p', 'reply');
  header.appendChild(title);
  header.appendChild(closeBtn);
  header.appendChild(status);
  header.appendChild(hours);
  header.appendChild(replyTime);
  var log = attr(attr(el('ol', 'log'), 'role', 'log'), 'aria-live', 'polite');
  var greeting = el('li', 'msg agent greeting');
  greeting.hidden = true;
  log.appendChild(greeting);
  var notice = attr(el('p', 'notice'), 'role', 'status');
  var form = el('form');
  var label = attr(el('label', 'sr', 'Your message'), 'for', 'parley-input');
  var input = attr(attr(attr(el('textarea'), 'id', 'parley-input'), 'maxlength', '4000'), 'rows', '1');
  input.placeholder = 'Write a message\u2026';
  var sendBtn = attr(el('button', 'send', 'Send'), 'type', 'submit');
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendBtn);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(notice);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  function mount() { (document.body || document.documentElement).appendChild(host); }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);

  function atBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 40; }
  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function setLauncher() { launcher.textContent = unread ? 'Chat with us (' + unread + ' new)' : 'Chat with us'; }

  function bubble(from, text, meta) {
    var li = el('li', 'msg ' + (from === 'visitor' ? 'visitor' : 'agent'));
    li.appendChild(el('span', 'text', text));
    li.appendChild(el('span', 'meta', meta));
    return li;
  }

  function render(t) {
    if (!t || !t.messages) return;
    var initial = !etag;
    etag = t.etag || etag;
    var stick = atBottom();
    var fresh = 0;
    for (var i = 0; i < t.messages.length; i++) {
      var m = t.messages[i];
      var li = nodes[m.id];
      if (!li) {
        for (var j = 0; j < pending.length; j++) {
          if (pending[j].id === m.id) { li = pending[j].li; pending.splice(j, 1); break; }
        }
        if (li) {
          li.classList.remove('failed');
          li.lastChild.textContent = time(m.at);
        } else {
          li = bubble(m.from, m.text, (m.from === 'agent' && m.author ? m.author + ' \u00b7 ' : '') + time(m.at));
          if (m.from === 'agent') fresh++;
        }
        li.setAttribute('data-id', m.id);
        nodes[m.id] = li;
      }
      log.appendChild(li);
    }
    for (var k = 0; k < pending.length; k++) log.appendChild(pending[k].li);
    if (fresh && panel.hidden && !initial) { unread += fresh; setLauncher(); }
    if (stick || fresh) scrollDown();
  }

  function poll() {
    if (polling || !token) return;
    polling = true;
    var delay = 0;
    (function loop() {
      if (!token) { polling = false; return; }
      request('GET', '/messages?wait=25&since=' + encodeURIComponent(etag)).then(function (t) {
        delay = 0;
        render(t);
        setTimeout(loop, 0);
      }, function (err) {
        if (err.status === 401) {
          // a newer token (a message just started a new session): carry on with it
          if (token && token !== err.token) { setTimeout(loop, 0); return; }
          dropToken(err.token);
          notice.textContent = 'Your earlier chat could not be resumed; your next message starts a new one.';
          polling = false;
          return;
        }
        delay = Math.min(30000, delay ? delay * 2 : 1000);
        if (err.retryAfter) delay = Math.max(delay, err.retryAfter * 1000);
        setTimeout(loop, delay);
      });
    })();
  }

  function ensureToken() {
    if (token) return Promise.resolve(token);
    // one session for messages sent at once
    if (!starting) {
      starting = request('POST', '/sessions', {}).then(function (r) { starting = null; saveToken(r.token); return r.token; }, function (err) { starting = null; throw err; });
    }
    return starting;
  }

  function send(text) {
    var cid = randomId();
    var entry = { id: '', li: bubble('visitor', text, 'Sending\u2026') };
    pending.push(entry);
    log.appendChild(entry.li);
    scrollDown();
    var renewed = false;
    (function attempt(n) {
      ensureToken().then(function () {
        return request('POST', '/messages', { text: text, clientMessageId: cid, pageUrl: location.href });
      }).then(function (r) {
        entry.id = r.id;
        if (pending.indexOf(entry) >= 0) entry.li.lastChild.textContent = 'Sent';
        notice.textContent = '';
        poll();
      }, function (err) {
        // a token Parley did not issue: start a new session, once (the message was not stored)
        if (err.status === 401 && err.token && !renewed) { renewed = true; dropToken(err.token); attempt(n); return; }
        var retry = !err.status || err.status === 429 || err.status === 408 || err.status >= 500;
        if (!retry || n >= 6) {
          entry.li.classList.add('failed');
          entry.li.lastChild.textContent = 'Not sent';
          notice.textContent = err.message || 'Your message could not be sent.';
          return;
        }
        notice.textContent = err.status === 429 ? 'You are sending messages quickly; sending again shortly\u2026' : 'Connection problem; trying again\u2026';
        setTimeout(function () { attempt(n + 1); }, err.retryAfter ? err.retryAfter * 1000 : Math.min(30000, 1000 * Math.pow(2, n)));
      });
    })(0);
  }

  function loadConfig() {
    request('GET', '/config').then(function (c) {
      configured = true;
      title.textContent = c.title || 'Chat';
      if (c.color && /^#[0-9a-fA-F]{6}$/.test(c.color)) host.style.setProperty('--accent', c.color);
      panel.classList.toggle('is-open', !!c.open);
      statusText.textContent = c.status || '';
      hours.textContent = c.availability || '';
      replyTime.textContent = c.replyTime || '';
      if (c.greeting) { greeting.textContent = c.greeting; greeting.hidden = false; }
    }, function (err) {
      statusText.textContent = 'Chat is unavailable right now.';
      notice.textContent = err.message || '';
    });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    unread = 0;
    setLauncher();
    if (!configured) loadConfig();
    poll();
    scrollDown();
    input.focus();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.focus();
  }

  launcher.addEventListener('click', function () { if (panel.hidden) open(); else close(); });
  closeBtn.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true })); }
  });
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = '';
    send(text);
  });

  // A returning visitor: show replies that came while they were away.
  if (token) poll();
})();
