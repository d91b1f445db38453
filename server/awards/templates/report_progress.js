// The council report's progress bar: poll the job's status every second until it is done
// (show the PDF link) or failed (show the reason). Served as a file: the CSP allows no inline
// script.
(() => {
  const box = document.getElementById('job');
  if (!box || box.dataset.state === 'done' || box.dataset.state === 'failed') return;
  const $ = (id) => document.getElementById(id);
  let misses = 0;
  async function poll() {
    try {
      const r = await fetch(box.dataset.statusUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!r.ok) throw new Error(String(r.status));
      const job = await r.json();
      misses = 0;
      $('job-bar').value = job.progress;
      $('job-bar').textContent = $('job-pct').textContent = job.progress + '%';
      $('job-step').textContent = job.step;
      box.dataset.state = job.status;
      if (job.status === 'done') {
        $('job-link').href = job.url;
        $('job-done').hidden = false;
        return;
      }
      if (job.status === 'failed') {
        $('job-error').textContent = job.error;
        $('job-error').hidden = false;
        return;
      }
    } catch (err) {
      if (++misses >= 5) {
        $('job-error').textContent = 'Mất kết nối với máy chủ khi xem tiến độ. Tải lại trang để xem tiếp; báo cáo vẫn được dựng.';
        $('job-error').hidden = false;
        return;
      }
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
