/* mda live picture page: the project's own code (Apache-2.0). The same layers as the report
 * map (picture.js), refreshed from the server's GeoJSON endpoints every few seconds, and an
 * alert list a watch officer acknowledges. */
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('mda-config').textContent);
  var esc = MDA.esc;
  var map = L.map('map', { preferCanvas: true, zoomControl: true });
  map.fitBounds(cfg.bounds, { animate: false, maxZoom: 9 });
  L.control.scale().addTo(map);

  var base = {}, overlays = {};
  var land = L.featureGroup();
  base['Land (offline)'] = land;
  var tiles = null;
  if (cfg.tiles) {
    tiles = L.tileLayer(cfg.tiles === 'osm' ? 'https://tile.openstreetmap.org/{z}/{x}/{y}.png' : cfg.tiles,
                        { maxZoom: 18, attribution: cfg.tiles === 'osm' ? '&copy; OpenStreetMap contributors' : '' });
    base['Online tiles'] = tiles;
    tiles.addTo(map);
  } else {
    land.addTo(map);
  }
  var control = L.control.layers(base, overlays, { collapsed: false }).addTo(map);
  var style = new MDA.Styles(cfg.style);
  var groups = { land: land, tiles: tiles, zones: {}, alerts: {} };
  function overlay(label, group) { group.addTo(map); control.addOverlay(group, label); return group; }
  groups.zoneGroup = function (k) {
    if (!this.zones[k]) this.zones[k] = overlay('Zones: ' + (style.zone[k] ? style.zone[k].label : k), L.featureGroup());
    return this.zones[k];
  };
  groups.tracks = overlay('Tracks', L.featureGroup());
  groups.vessels = overlay('Vessels (latest position)', L.featureGroup());
  groups.alertGroup = function (k) {
    if (!this.alerts[k]) this.alerts[k] = overlay('Alerts: ' + (style.kindLabel[k] || k), L.featureGroup());
    return this.alerts[k];
  };
  var pic = window.MDA_PICTURE = new MDA.Picture(map, cfg.style, groups);
  var info = new MDA.Info('<h1>' + esc(cfg.title) + '</h1><div class="mda-sub" id="mda-sub"></div>').addTo(map);
  new MDA.Legend(pic, { zones: cfg.zone_kinds }, { collapsed: true }).addTo(map);
  MDA.tileFallback(map, tiles, land, info);
  if (cfg.assets === 'cdn') info.notice('Leaflet from a public CDN (no asset cache: run mda assets fetch)');

  var live = window.MDA_LIVE = { refreshes: 0, alertIds: [], errors: 0, seen: {} };
  // Follow the picture (fit its bounds as it grows) until the watch officer moves the map.
  var follow = true, lastBounds = '';
  ['mousedown', 'wheel', 'touchstart', 'keydown'].forEach(function (ev) {
    map.getContainer().addEventListener(ev, function () { follow = false; }, { passive: true });
  });
  function api(path) {
    return fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(path + ': HTTP ' + r.status); return r.json(); });
  }
  function viewBbox() {
    var b = map.getBounds().pad(0.5);
    var w = Math.max(-180, b.getWest()), e = Math.min(180, b.getEast());
    var s = Math.max(-90, b.getSouth()), n = Math.min(90, b.getNorth());
    if (e - w >= 360 || b.getEast() - b.getWest() >= 360) { w = -180; e = 180; }
    return [w, s, e, n].map(function (x) { return x.toFixed(4); }).join(',');
  }

  api('/api/zones').then(function (fc) { pic.setZones(fc); });
  var landTimer = null;
  function loadLand() {
    api('/api/land?bbox=' + viewBbox()).then(function (fc) { pic.setLand(fc); }).catch(function () {});
  }
  map.on('moveend', function () { clearTimeout(landTimer); landTimer = setTimeout(loadLand, 400); });
  loadLand();

  function renderList(fc) {
    var ul = document.getElementById('mda-alerts'), items = [], ids = [];
    fc.features.forEach(function (f) {
      if (f.geometry.type !== 'Point') return;
      var p = f.properties, isNew = live.refreshes > 0 && !live.seen[p.alert_id];
      ids.push(p.alert_id);
      items.push('<li class="mda-alert-item' + (isNew ? ' mda-new' : '') + (p.ack ? ' mda-acked' : '') +
        '" data-alert-id="' + esc(p.alert_id) + '">' +
        '<div class="mda-item-head"><span class="mda-swatch" style="background:' + esc(style.kindColour(p.kind)) + '"></span>' +
        esc(style.kindLabel[p.kind] || p.kind) + ' <span class="mda-sev mda-sev-' + esc(p.severity) + '">' + esc(p.severity) + '</span>' +
        '<span class="mda-status">' + esc(p.status) + '</span></div>' +
        '<div>' + esc(p.summary) + '</div>' +
        '<div class="mda-item-time">' + esc(MDA.fmtTime(Date.parse(p.start))) + (p.end ? ' – ' + esc(MDA.fmtTime(Date.parse(p.end))) : ' (open)') + '</div>' +
        (p.ack ? '<div class="mda-item-time">acknowledged ' + esc(p.ack.by || '') + ' ' + esc(p.ack.at) + '</div>'
               : '<button type="button" class="mda-ack" data-alert-id="' + esc(p.alert_id) + '">acknowledge</button>') +
        '</li>');
    });
    ul.innerHTML = items.join('');
    document.getElementById('mda-count').textContent = String(ids.length);
    ids.forEach(function (id) { live.seen[id] = true; });
    live.alertIds = ids;
  }

  document.getElementById('mda-alerts').addEventListener('click', function (e) {
    var btn = e.target.closest('button.mda-ack');
    var li = e.target.closest('li.mda-alert-item');
    if (btn) {
      e.stopPropagation();
      var by = (window.localStorage && localStorage.getItem('mda-officer')) || 'watch officer';
      fetch('/api/alerts/' + encodeURIComponent(btn.getAttribute('data-alert-id')) + '/ack', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ by: by })
      }).then(function () { refresh(); });
      return;
    }
    if (li) {
      var a = pic.alertById(li.getAttribute('data-alert-id'));
      if (a) { map.setView(a.marker.getLatLng(), Math.max(map.getZoom(), 8), { animate: false }); a.marker.openPopup(); }
    }
  });

  // Feed health (live sources only, and only for the operator: a partner's page has no
  // feeds panel; hidden for a replay too): per source its
  // name, state (a source that was connected and is trying again is "reconnecting"),
  // messages, rate and outage, from /api/health.
  function feedState(h) {
    if ((h.state === 'connecting' || h.state === 'disconnected') && h.connects > 0) return 'reconnecting';
    return h.state;
  }
  function renderFeeds(doc) {
    var sources = doc.sources || [];
    var section = document.getElementById('mda-feeds');
    section.hidden = sources.length === 0;
    document.getElementById('mda-feed-count').textContent = String(sources.length);
    document.getElementById('mda-feed-rows').innerHTML = sources.map(function (h) {
      var state = feedState(h);
      return '<tr class="mda-feed' + (h.outage ? ' mda-outage' : '') + '" data-source="' + esc(h.name) +
        '" data-state="' + esc(state) + '" data-outage="' + (h.outage ? 'yes' : 'no') + '" title="' + esc(h.url) +
        (h.last_message ? ' · last message ' + esc(h.last_message) : '') + (h.notice ? ' · ' + esc(h.notice) : '') + '">' +
        '<td>' + esc(h.name) + '</td><td class="mda-feed-state">' + esc(state) + '</td>' +
        '<td>' + esc(h.messages) + '</td><td>' + esc(h.rate_per_s) + '</td>' +
        '<td class="mda-feed-out">' + (h.outage ? 'yes (' + esc(Math.round(h.silent_s)) + ' s)' : 'no') + '</td></tr>';
    }).join('');
    live.health = doc;
  }

  var busy = false;
  function refresh() {
    if (busy) return;
    busy = true;
    var bbox = viewBbox();
    Promise.all([api('/api/tracks?bbox=' + bbox), api('/api/alerts'), api('/api/status'),
                 cfg.feeds ? api('/api/health') : Promise.resolve({ sources: [] })]).then(function (r) {
      var openId = null;
      if (map._popup && map._popup._source && map._popup._source._mda && map._popup._source._mda.props.alert_id)
        openId = map._popup._source._mda.props.alert_id;
      pic.setVessels(r[0], r[0].t0);
      pic.setAlerts(r[1]);
      renderList(r[1]);
      renderFeeds(r[3]);
      if (openId) { var a = pic.alertById(openId); if (a) a.marker.openPopup(); }
      var st = r[2];
      if (follow && st.bounds && JSON.stringify(st.bounds) !== lastBounds) {
        lastBounds = JSON.stringify(st.bounds);
        map.fitBounds(L.latLngBounds(st.bounds).pad(0.05), { animate: false, maxZoom: 9 });
      }
      document.getElementById('mda-clock').textContent = 'event time ' + (st.clock || '-') + ' · ' + st.source + ' ' + st.source_state;
      var sub = document.getElementById('mda-sub');
      if (sub) sub.textContent = st.vessels + ' vessels, ' + st.alerts + ' alerts (' + st.alerts_open + ' open, ' + st.alerts_unacknowledged + ' unacknowledged)';
      live.refreshes++;
      live.status = st;
      if (live.refreshes === 1) MDA.ready();
    }).catch(function (err) {
      live.errors++;
      document.getElementById('mda-clock').textContent = 'server unreachable: ' + err.message;
    }).then(function () { busy = false; });
  }
  refresh();
  setInterval(refresh, cfg.refresh_ms);
})();
