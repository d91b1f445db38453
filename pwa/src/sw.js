// The service worker: precaches the app shell (the list is injected by workbox-build at build
// time) and answers every navigation with the cached shell, so the app opens offline.
// A new version waits until the page asks it to take over ("Đã có phiên bản mới: tải lại").
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), {
  denylist: [/^\/db\//, /^\/api\//, /^\/schema/, /^\/healthz/],
}));
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});
