/*
 * The live sale page (GET /admin/sales): plain HTML, one stylesheet and one
 * script, all from this origin, so its Content-Security-Policy allows nothing
 * else (no inline script or style, no other host). Kept as strings in a module
 * so every build of the service (nest build, tsc, the Docker image) carries it.
 *
 * The admin token is asked for once and kept in sessionStorage (gone with the
 * tab). EventSource cannot send a header, and a token in the URL would land in
 * access logs, so the script reads the event stream with fetch() and the
 * x-admin-token header.
 */

export const SALES_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const SALES_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Seckill: live sale</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/sales/sales.css">
<script src="/admin/sales/sales.js" defer></script>
</head>
<body>
<header><h1>Live sale</h1><span id="status">not connected</span></header>
<form id="token-form">
  <label>Admin token <input id="token" type="password" autocomplete="off" required></label>
  <button type="submit">Use token</button>
  <button type="button" id="forget-token">Forget token</button>
</form>
<form id="sale-form">
  <label>Voucher <select id="voucher"></select></label>
  <button type="submit" id="watch">Watch</button>
  <button type="button" id="reload-vouchers">Reload list</button>
</form>
<main id="figures">
  <section class="gauge">
    <h2>Stock</h2>
    <meter id="stock-gauge" min="0" max="1" value="0"></meter>
    <p><span id="stock-left">-</span> left of <span id="stock-total">-</span></p>
  </section>
  <section>
    <h2>Orders</h2>
    <dl>
      <dt>in MySQL</dt><dd id="orders-created">-</dd>
      <dt>answered created / accepted</dt><dd id="orders-accepted">-</dd>
      <dt>orders/s</dt><dd id="orders-per-second">-</dd>
      <dt>rejections/s</dt><dd id="rejections-per-second">-</dd>
      <dt>p99 (last 10 s)</dt><dd id="p99">-</dd>
      <dt>instances reporting</dt><dd id="instances">-</dd>
    </dl>
  </section>
  <section>
    <h2>Rejections by code</h2>
    <table><tbody id="rejections"></tbody></table>
  </section>
  <section id="backlog" hidden>
    <h2>Async backlog (all vouchers)</h2>
    <dl>
      <dt>pending</dt><dd id="backlog-pending">-</dd>
      <dt>oldest</dt><dd id="backlog-oldest">-</dd>
      <dt>dead letters</dt><dd id="dead-letters">-</dd>
    </dl>
  </section>
  <section class="chart">
    <h2>Per second, last 2 minutes: <span class="created">orders</span>, <span class="rejected">rejections</span></h2>
    <canvas id="rate-chart" width="720" height="220"></canvas>
  </section>
  <p>Updated <span id="updated-at">-</span></p>
</main>
</body>
</html>
`;

export const SALES_PAGE_CSS = `body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
header { display: flex; gap: 1rem; align-items: baseline; }
h1 { margin: 0 0 1rem; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
form { margin-bottom: .75rem; display: flex; gap: .5rem; align-items: center; }
#status { color: #666; }
#status.live { color: #11823b; }
#status.error { color: #b00020; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); gap: 1rem; }
section { border: 1px solid #ddd; border-radius: 6px; padding: .75rem; }
section.chart { grid-column: 1 / -1; }
meter { width: 100%; height: 2rem; }
dl { display: grid; grid-template-columns: auto auto; gap: .25rem 1rem; margin: 0; }
dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 600; }
td { padding: 0 1rem 0 0; }
.created { color: #11823b; }
.rejected { color: #b00020; }
canvas { width: 100%; max-width: 720px; }
`;

export const SALES_PAGE_SCRIPT = `'use strict';
(function () {
  var TOKEN_KEY = 'seckill.adminToken';
  var HISTORY = 120;
  var $ = function (id) { return document.getElementById(id); };
  var watching = null;
  var points = [];

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  function setStatus(text, kind) {
    var status = $('status');
    status.textContent = text;
    status.className = kind || '';
  }

  function text(id, value) { $(id).textContent = value === null || value === undefined ? '-' : String(value); }

  function failureText(response, body) {
    return response.status + ' ' + (body && body.code ? body.code + ': ' + body.errorMsg : response.statusText);
  }

  async function adminFetch(path, init) {
    var options = init || {};
    options.headers = { 'x-admin-token': token() };
    options.cache = 'no-store';
    return fetch(path, options);
  }

  async function loadVouchers() {
    if (!token()) { setStatus('enter the admin token', 'error'); return; }
    var response = await adminFetch('/admin/sales/vouchers');
    var body = await response.json().catch(function () { return null; });
    if (!response.ok) { setStatus('voucher list: ' + failureText(response, body), 'error'); return; }
    var select = $('voucher');
    var chosen = select.value;
    select.replaceChildren();
    body.data.forEach(function (voucher) {
      var option = document.createElement('option');
      option.value = String(voucher.id);
      option.textContent = '#' + voucher.id + ' ' + voucher.title + ' (stock ' + voucher.stock + ')';
      select.append(option);
    });
    if (chosen) select.value = chosen;
    setStatus(body.data.length ? 'pick a voucher' : 'no seckill vouchers yet');
  }

  function show(snapshot) {
    text('stock-left', snapshot.stockLeft);
    text('stock-total', snapshot.stockTotal);
    var gauge = $('stock-gauge');
    gauge.max = Math.max(1, snapshot.stockTotal);
    gauge.value = snapshot.stockLeft;
    gauge.low = gauge.max * 0.2;
    gauge.optimum = gauge.max;
    text('orders-created', snapshot.ordersCreated);
    text('orders-accepted', snapshot.ordersAccepted);
    text('orders-per-second', snapshot.ordersPerSecond);
    text('rejections-per-second', snapshot.rejectionsPerSecond);
    text('p99', snapshot.p99Ms === null ? null : snapshot.p99Ms + ' ms');
    text('instances', snapshot.instances);
    text('updated-at', snapshot.at);
    var rows = $('rejections');
    rows.replaceChildren();
    var codes = Object.keys(snapshot.rejections).sort();
    if (!codes.length) {
      var none = document.createElement('tr');
      var cell = document.createElement('td');
      cell.textContent = 'none';
      none.append(cell);
      rows.append(none);
    }
    codes.forEach(function (code) {
      var row = document.createElement('tr');
      var name = document.createElement('td');
      var count = document.createElement('td');
      name.textContent = code;
      count.textContent = String(snapshot.rejections[code]);
      row.append(name, count);
      rows.append(row);
    });
    $('backlog').hidden = !snapshot.backlog;
    if (snapshot.backlog) {
      text('backlog-pending', snapshot.backlog.pending);
      text('backlog-oldest', (snapshot.backlog.oldestAgeMs / 1000).toFixed(1) + ' s');
      text('dead-letters', snapshot.backlog.deadLetters);
    }
    points.push({ created: snapshot.ordersPerSecond, rejected: snapshot.rejectionsPerSecond });
    if (points.length > HISTORY) points.shift();
    draw();
  }

  function draw() {
    var canvas = $('rate-chart');
    var context = canvas.getContext('2d');
    var width = canvas.width;
    var height = canvas.height;
    var top = 1;
    points.forEach(function (point) { top = Math.max(top, point.created, point.rejected); });
    context.clearRect(0, 0, width, height);
    context.fillStyle = '#666';
    context.font = '12px sans-serif';
    context.fillText(String(Math.round(top)) + '/s', 4, 12);
    context.strokeStyle = '#ddd';
    context.beginPath();
    context.moveTo(0, height - 0.5);
    context.lineTo(width, height - 0.5);
    context.stroke();
    [['created', '#11823b'], ['rejected', '#b00020']].forEach(function (series) {
      context.strokeStyle = series[1];
      context.lineWidth = 2;
      context.beginPath();
      points.forEach(function (point, i) {
        var x = (width * (i + HISTORY - points.length)) / (HISTORY - 1);
        var y = height - 2 - ((height - 18) * point[series[0]]) / top;
        if (i === 0) context.moveTo(x, y); else context.lineTo(x, y);
      });
      context.stroke();
    });
  }

  function handleMessage(message) {
    var event = 'message';
    var data = '';
    message.split('\\n').forEach(function (line) {
      if (line.indexOf('event:') === 0) event = line.slice(6).trim();
      else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
    });
    if (!data) return;
    var payload = JSON.parse(data);
    if (event === 'message') { setStatus('live: voucher #' + payload.voucherId, 'live'); show(payload); }
    else setStatus('figures unavailable: ' + payload.code + ' (retrying)', 'error');
  }

  async function watch(voucherId) {
    if (watching) watching.abort();
    var controller = new AbortController();
    watching = controller;
    points = [];
    setStatus('connecting to voucher #' + voucherId);
    try {
      var response = await adminFetch('/admin/sales/' + voucherId + '/events', { signal: controller.signal });
      if (!response.ok) {
        var body = await response.json().catch(function () { return null; });
        setStatus(failureText(response, body), 'error');
        return;
      }
      var reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      var buffer = '';
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) break;
        buffer += chunk.value;
        var end = buffer.indexOf('\\n\\n');
        while (end >= 0) {
          handleMessage(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\\n\\n');
        }
      }
      setStatus('stream ended, reconnecting', 'error');
    } catch (error) {
      if (controller.signal.aborted) return;
      setStatus('connection lost, reconnecting', 'error');
    }
    if (watching === controller && !controller.signal.aborted) {
      setTimeout(function () { if (watching === controller) watch(voucherId); }, 2000);
    }
  }

  function start() {
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token').value);
      $('token').value = '';
      loadVouchers();
    });
    $('forget-token').addEventListener('click', function () {
      sessionStorage.removeItem(TOKEN_KEY);
      if (watching) watching.abort();
      watching = null;
      setStatus('token forgotten');
    });
    $('sale-form').addEventListener('submit', function (event) {
      event.preventDefault();
      if ($('voucher').value) watch($('voucher').value);
    });
    $('reload-vouchers').addEventListener('click', function () { loadVouchers(); });
    if (token()) loadVouchers(); else setStatus('enter the admin token');
  }

  start();
})();
`;
