// Placeholder service worker: the offline PWA (PouchDB, cached shell) comes in a later issue.
// It installs and activates at once and lets every request go to the network.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
