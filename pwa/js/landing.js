// Landing page: server health and service-worker registration (no inline script: CSP).
const el = document.getElementById("health");
fetch("/healthz").then((r) => r.json().then((body) => ({ ok: r.ok, body })))
  .then(({ ok, body }) => {
    el.textContent = ok
      ? `Máy chủ hoạt động (phiên bản ${body.version}, kho dữ liệu: ${body.backend}).`
      : "Máy chủ chạy nhưng kho dữ liệu không phản hồi.";
    el.className = ok ? "ok" : "bad";
  })
  .catch(() => { el.textContent = "Không kết nối được máy chủ."; el.className = "bad"; });
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
