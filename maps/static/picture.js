/* mda picture layers: the project's own code (Apache-2.0), shared by the report map and the
 * live picture page. Needs Leaflet 1.9 (loaded before this file).
 *
 * Everything that can be numerous (tracks, vessels, alerts, the lines between an alert's
 * positions) is drawn on ONE canvas renderer in its own pane: one DOM element whatever the
 * number of vessels. Zones (few, large) are SVG in a pane below, non-interactive; clicking the
 * map where no vessel or alert is tells which zones contain the point. Land (the offline base
 * layer) is a canvas in the lowest pane.
 */
(function () {
  'use strict';
  var MDA = window.MDA = window.MDA || {};

  // -- helpers ---------------------------------------------------------------------------
  var ESC = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }
  MDA.esc = esc;
  function fmtTime(ms) {
    if (ms == null || isNaN(ms)) return '';
    return new Date(ms).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z');
  }
  MDA.fmtTime = fmtTime;
  function parseTime(s) { return s ? Date.parse(s) : null; }
  function fmtValue(v) {
    if (v == null) return '-';
    if (typeof v === 'number') return String(Math.round(v * 1000) / 1000);
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  function upperBound(arr, x) { // first index with arr[i] > x
    var lo = 0, hi = arr.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (arr[mid] <= x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function bearing(a, b) { // degrees clockwise from north, a -> b (LatLngs)
    var f1 = a.lat * Math.PI / 180, f2 = b.lat * Math.PI / 180, dl = (b.lng - a.lng) * Math.PI / 180;
    var y = Math.sin(dl) * Math.cos(f2);
    var x = Math.cos(f1) * Math.sin(f2) - Math.sin(f1) * Math.cos(f2) * Math.cos(dl);
    return (Math.atan2(y, x) * 180 / Math.PI + 360) % 360;
  }

  // -- a vessel symbol drawn on the canvas: a triangle along its heading, a dot when still --
  L.Canvas.include({
    _updateVessel: function (layer) {
      if (!this._drawing || layer._empty()) return;
      var p = layer._point, ctx = this._ctx, r = layer._radius, h = layer.options.heading;
      ctx.beginPath();
      if (h == null) {
        ctx.arc(p.x, p.y, r * 0.6, 0, Math.PI * 2, false);
      } else {
        var a = h * Math.PI / 180, s = Math.sin(a), c = Math.cos(a);
        var pts = [[0, -r * 1.5], [-r * 0.75, r * 0.9], [r * 0.75, r * 0.9]];
        for (var i = 0; i < 3; i++) {
          var x = p.x + pts[i][0] * c - pts[i][1] * s, y = p.y + pts[i][0] * s + pts[i][1] * c;
          if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        }
        ctx.closePath();
      }
      this._fillStroke(ctx, layer);
    }
  });
  L.SVG.include({ _updateVessel: function (layer) { this._updateCircle(layer); } });
  MDA.VesselMarker = L.CircleMarker.extend({
    options: { heading: null },
    _updatePath: function () { this._renderer._updateVessel(this); },
    setHeading: function (h) { this.options.heading = h; return this.redraw(); }
  });

  // -- styles ----------------------------------------------------------------------------
  function Styles(cfg) {
    this.cfg = cfg;
    this.ship = {}; this.shipLabel = {};
    cfg.ships.forEach(function (s) { this.ship[s.key] = s.colour; this.shipLabel[s.key] = s.label; }, this);
    this.kind = {}; this.kindLabel = {};
    cfg.alerts.forEach(function (s) { this.kind[s.key] = s.colour; this.kindLabel[s.key] = s.label; }, this);
    this.sev = {};
    cfg.severities.forEach(function (s) { this.sev[s.key] = s; }, this);
    this.zone = {};
    cfg.zones.forEach(function (s) { this.zone[s.key] = s; }, this);
  }
  Styles.prototype.shipColour = function (cat) { return this.ship[cat] || this.ship.unknown || '#777'; };
  Styles.prototype.kindColour = function (k) { return this.kind[k] || this.cfg.other_alert_colour; };
  Styles.prototype.severity = function (s) { return this.sev[s] || this.sev.medium; };
  Styles.prototype.zoneStyle = function (kind) {
    var z = this.zone[kind] || { colour: '#555', fill: 0.05, dash: '3 3' };
    return { color: z.colour, weight: 1.5, opacity: 0.9, fillColor: z.colour, fillOpacity: z.fill,
             dashArray: z.dash || null, interactive: false };
  };
  MDA.Styles = Styles;

  // -- popups ----------------------------------------------------------------------------
  function vesselLine(mmsi, v, styles) {
    v = v || {};
    var bits = [];
    if (v.flag_country || v.flag) bits.push(esc(v.flag_country || v.flag));
    if (v.ship_type != null) bits.push(esc(styles.shipLabel[v.category] || '') + ' (AIS type ' + esc(v.ship_type) + ')');
    if (v.callsign) bits.push('call sign ' + esc(v.callsign));
    if (v.imo) bits.push('IMO ' + esc(v.imo));
    return '<b>' + esc(v.name || 'unnamed') + '</b> MMSI ' + esc(mmsi) + (bits.length ? '<br>' + bits.join(', ') : '');
  }
  function alertPopup(p, styles) {
    var ev = p.evidence || {}, sev = p.severity || 'medium';
    var start = parseTime(p.start), end = parseTime(p.end);
    var h = '<div class="mda-popup mda-alert-popup" data-alert-id="' + esc(p.alert_id) + '">';
    h += '<div class="mda-popup-head"><span class="mda-swatch" style="background:' + esc(styles.kindColour(p.kind)) + '"></span>' +
         esc(styles.kindLabel[p.kind] || p.kind) + ' <span class="mda-sev mda-sev-' + esc(sev) + '">' + esc(sev) + '</span> <span class="mda-status">' + esc(p.status) + '</span></div>';
    h += '<p class="mda-summary">' + esc(p.summary) + '</p><table class="mda-table">';
    if (p.kind === 'feed_outage') h += '<tr><th>feed</th><td>' + esc(ev.source) + '</td></tr>';
    else if (p.kind === 'dark_target') h += '<tr><th>contact</th><td>' + esc(ev.sensor) + ' ' + esc(ev.source) + ' #' + esc(ev.contact_id) + ' (no AIS)</td></tr>';
    else h += '<tr><th>vessel</th><td>' + vesselLine(p.mmsi, p.vessel, styles) + '</td></tr>';
    if (p.other_mmsi != null) h += '<tr><th>other vessel</th><td>' + vesselLine(p.other_mmsi, ev.other_vessel, styles) + '</td></tr>';
    if (p.zone_name || p.zone_id) h += '<tr><th>zone</th><td>' + esc(p.zone_name || '') + (p.zone_id ? ' (' + esc(p.zone_id) + ')' : '') + '</td></tr>';
    h += '<tr><th>start</th><td>' + esc(fmtTime(start)) + '</td></tr>';
    h += '<tr><th>end</th><td>' + (end ? esc(fmtTime(end)) + ' (' + esc(((end - start) / 3600000).toFixed(1)) + ' h)' : 'still open') + '</td></tr>';
    h += '<tr><th>position</th><td>' + esc(p.lat) + ', ' + esc(p.lon) + '</td></tr>';
    if (p.ack) h += '<tr><th>acknowledged</th><td>' + esc(p.ack.by || '') + ' ' + esc(p.ack.at || '') + '</td></tr>';
    h += '</table><details open><summary>evidence</summary><table class="mda-table mda-evidence">';
    Object.keys(ev).forEach(function (k) {
      if (k === 'other_vessel') return;
      h += '<tr><th>' + esc(k) + '</th><td>' + esc(fmtValue(ev[k])) + '</td></tr>';
    });
    h += '</table></details><div class="mda-id">alert ' + esc(p.alert_id) + '</div></div>';
    return h;
  }
  function vesselPopup(p, styles, t0) {
    var h = '<div class="mda-popup mda-vessel-popup">' + vesselLine(p.mmsi, p, styles) + '<table class="mda-table">';
    h += '<tr><th>last report</th><td>' + esc(fmtTime(parseTime(p.ts))) + '</td></tr>';
    h += '<tr><th>speed</th><td>' + esc(p.sog_kn == null ? '-' : p.sog_kn + ' kn') + '</td></tr>';
    h += '<tr><th>course</th><td>' + esc(p.cog_deg == null ? '-' : p.cog_deg + '°') + '</td></tr>';
    h += '<tr><th>heading</th><td>' + esc(p.heading_deg == null ? '-' : p.heading_deg + '°') + '</td></tr>';
    if (p.length_m) h += '<tr><th>length</th><td>' + esc(p.length_m) + ' m</td></tr>';
    return h + '</table></div>';
  }
  MDA.alertPopup = alertPopup;

  // -- point in polygon (zones under a click) ---------------------------------------------
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (((yi > y) !== (yj > y)) && (x < (xj - xi) * (y - yi) / (yj - yi) + xi)) inside = !inside;
    }
    return inside;
  }
  function inGeometry(x, y, g) {
    var polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    for (var i = 0; i < polys.length; i++) {
      if (inRing(x, y, polys[i][0])) {
        var hole = false;
        for (var k = 1; k < polys[i].length; k++) if (inRing(x, y, polys[i][k])) { hole = true; break; }
        if (!hole) return true;
      }
    }
    return false;
  }

  // -- the picture: every layer, given the groups they go in --------------------------------
  function heading(p) {
    if (p.heading_deg != null) return p.heading_deg;
    if (p.cog_deg != null && (p.sog_kn == null || p.sog_kn >= 0.5)) return p.cog_deg;
    return null;
  }

  function Picture(map, styleCfg, groups) {
    this.map = map;
    this.styles = new Styles(styleCfg);
    this.groups = groups; // {zones: {kind: group}, land, tracks, vessels, alerts: {kind: group}, makeGroup(kind)}
    ['mdaLand', 'mdaZones', 'mdaData'].forEach(function (name, i) {
      if (!map.getPane(name)) map.createPane(name).style.zIndex = [150, 390, 420][i];
    });
    map.getPane('mdaZones').style.pointerEvents = 'none';
    this.canvas = L.canvas({ pane: 'mdaData', padding: 0.1, tolerance: 3 });
    this.landRenderer = L.canvas({ pane: 'mdaLand', padding: 0.1 });
    this.zoneRenderer = L.svg({ pane: 'mdaZones', padding: 0.1 });
    this.zoneFeatures = [];
    this.vessels = []; // {marker, props, cat, lines: [[LatLng]], times: [[ms]]}
    this.alerts = [];  // {marker, props, links: [poly], start, end}
    this.t0 = 0;
    var self = this;
    map.on('click', function (e) { self._zonesAt(e.latlng); });
    map.on('overlayadd', function () { self.restack(); });
    map.getContainer().classList.add('mda-sea');
  }
  MDA.Picture = Picture;

  Picture.prototype.restack = function () {
    // Tracks under vessels under alerts, whatever order the layer control re-added them in.
    this.alerts.forEach(function (a) { a.links.forEach(function (l) { if (l._map) l.bringToFront(); }); });
    this.vessels.forEach(function (v) { if (v.marker._map) v.marker.bringToFront(); });
    this.alerts.forEach(function (a) { if (a.marker._map) a.marker.bringToFront(); });
  };

  Picture.prototype.setLand = function (fc) {
    if (!fc || !this.groups.land) return;
    this.groups.land.clearLayers();
    L.geoJSON(fc, { renderer: this.landRenderer, interactive: false,
      style: { color: '#a89f8a', weight: 0.6, fillColor: '#efeadf', fillOpacity: 1 } }).addTo(this.groups.land);
  };

  Picture.prototype.setZones = function (fc) {
    var self = this;
    this.zoneFeatures = (fc && fc.features) || [];
    Object.keys(this.groups.zones || {}).forEach(function (k) { self.groups.zones[k].clearLayers(); });
    this.zoneFeatures.forEach(function (f) {
      var kind = f.properties.kind, g = self.groups.zoneGroup(kind);
      if (!g) return;
      L.geoJSON(f, { renderer: self.zoneRenderer, style: function () { return self.styles.zoneStyle(kind); },
                     interactive: false }).addTo(g);
    });
  };

  Picture.prototype._zonesAt = function (latlng) {
    var x = latlng.lng, y = latlng.lat, hits = [];
    this.zoneFeatures.forEach(function (f) {
      var g = this.groups.zoneGroup(f.properties.kind);
      if (g && this.map.hasLayer(g) && inGeometry(x, y, f.geometry)) hits.push(f.properties);
    }, this);
    if (!hits.length) return;
    var h = '<div class="mda-popup mda-zone-popup"><b>' + hits.length + (hits.length > 1 ? ' zones' : ' zone') + ' here</b><table class="mda-table">';
    hits.forEach(function (p) {
      h += '<tr><th>' + esc(this.styles.zone[p.kind] ? this.styles.zone[p.kind].label : p.kind) + '</th><td>' +
           esc(p.name) + (p.sovereign ? ' (' + esc(p.sovereign) + ')' : '') + '</td></tr>';
    }, this);
    L.popup().setLatLng(latlng).setContent(h + '</table></div>').openOn(this.map);
  };

  // Tracks and latest positions. ``fc``: one feature per vessel (LineString, MultiLineString
  // or Point) whose properties are the latest report's, with ``t``: seconds since ``t0`` for
  // every position. Without ``t`` (the live picture's /api/vessels) only the positions show.
  Picture.prototype.setVessels = function (fc, t0) {
    var self = this, st = this.styles;
    this.t0 = (t0 || 0) * 1000;
    this.groups.tracks && this.groups.tracks.clearLayers();
    this.groups.vessels && this.groups.vessels.clearLayers();
    this.vessels = [];
    // Tracks: one multi-line per ship category (ten canvas paths whatever the number of
    // vessels: the cost of a redraw is then per point, not per vessel).
    var byCat = {};
    var features = (fc && fc.features) || [];
    for (var i = 0; i < features.length; i++) {
      var f = features[i], p = f.properties, g = f.geometry, colour = st.shipColour(p.category);
      var lines = g.type === 'LineString' ? [g.coordinates] : g.type === 'MultiLineString' ? g.coordinates : [];
      var latlngs = lines.map(function (l) { return l.map(function (c) { return L.latLng(c[1], c[0]); }); });
      var last = g.type === 'Point' ? L.latLng(g.coordinates[1], g.coordinates[0])
                 : latlngs[latlngs.length - 1][latlngs[latlngs.length - 1].length - 1];
      var v = { props: p, lines: latlngs, times: null, visible: true, lastLatLng: last };
      if (p.t && lines.length) v.times = p.t.map(function (ts) { return ts.map(function (s) { return s * 1000 + self.t0; }); });
      else if (p.t) v.times = [];
      v.cat = p.category;
      if (latlngs.length) (byCat[v.cat] = byCat[v.cat] || []).push.apply(byCat[v.cat], latlngs);
      v.marker = new MDA.VesselMarker(last, { renderer: this.canvas, radius: 5, heading: heading(p),
        color: '#1b1b1b', weight: 0.7, fillColor: colour, fillOpacity: 0.95, bubblingMouseEvents: false });
      v.marker._mda = v;
      v.start = v.times && v.times.length ? v.times[0][0] : null;
      v.end = parseTime(p.ts);
      this.groups.vessels.addLayer(v.marker);
      this.vessels.push(v);
    }
    this.trackLines = {};
    if (this.groups.tracks) {
      Object.keys(byCat).forEach(function (cat) {
        var line = L.polyline(byCat[cat], { renderer: self.canvas, color: st.shipColour(cat), weight: 1.5,
                                            opacity: 0.65, interactive: false, smoothFactor: 1.5 });
        self.trackLines[cat] = line;
        self.groups.tracks.addLayer(line);
      });
    }
    if (!this._vesselClick) {
      this._vesselClick = true;
      this.groups.vessels.on('click', function (e) {
        var v = e.layer._mda;
        if (v) L.popup().setLatLng(e.layer.getLatLng()).setContent(vesselPopup(v.props, st)).openOn(self.map);
      });
    }
    this.restack();
  };

  // Alerts: Point features (properties: the alert JSON) and LineString features with
  // ``link`` (gap, rendezvous, jump, shared) joining an alert's positions.
  Picture.prototype.setAlerts = function (fc) {
    var self = this, st = this.styles, byId = {};
    Object.keys(this.groups.alerts || {}).forEach(function (k) { self.groups.alerts[k].clearLayers(); });
    this.alerts = [];
    var features = (fc && fc.features) || [];
    features.forEach(function (f) {
      if (f.geometry.type !== 'Point') return;
      var p = f.properties, g = self.groups.alertGroup(p.kind), sev = st.severity(p.severity);
      var closed = p.status !== 'open';
      var m = L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
        renderer: self.canvas, radius: sev.radius, color: sev.ring, weight: sev.weight,
        fillColor: st.kindColour(p.kind), fillOpacity: closed ? 0.55 : 0.95, opacity: p.ack ? 0.5 : 1,
        bubblingMouseEvents: false });
      m.bindPopup(function () { return alertPopup(p, st); }, { maxWidth: 380, minWidth: 260 });
      var a = { marker: m, props: p, links: [], start: parseTime(p.start), end: parseTime(p.end), group: g, visible: true };
      m._mda = a;
      byId[p.alert_id] = a;
      g.addLayer(m);
      self.alerts.push(a);
    });
    features.forEach(function (f) {
      if (f.geometry.type === 'Point') return;
      var p = f.properties, a = byId[p.alert_id];
      if (!a) return;
      var lines = f.geometry.type === 'LineString' ? [f.geometry.coordinates] : f.geometry.coordinates;
      var dash = { gap: '7 6', jump: '2 5', shared: '2 5' }[p.link] || null;
      var l = L.polyline(lines.map(function (c) { return c.map(function (x) { return [x[1], x[0]]; }); }), {
        renderer: self.canvas, color: st.kindColour(a.props.kind), weight: 3, opacity: 0.9, dashArray: dash,
        bubblingMouseEvents: false });
      l.bindPopup(function () { return alertPopup(a.props, st); }, { maxWidth: 380, minWidth: 260 });
      l._mdaLink = p.link;
      a.links.push(l);
      a.group.addLayer(l);
    });
    this.restack();
  };

  Picture.prototype.alertById = function (id) {
    for (var i = 0; i < this.alerts.length; i++) if (this.alerts[i].props.alert_id === id) return this.alerts[i];
    return null;
  };

  // The picture as it was at time ``t`` (ms); null: everything.
  Picture.prototype.setTime = function (t) {
    var showAll = t == null, clippedByCat = {};
    for (var i = 0; i < this.vessels.length; i++) {
      var v = this.vessels[i];
      if (!v.times) continue;
      var pos = null, prev = null, clipped = [];
      for (var k = 0; k < v.lines.length; k++) {
        var n = showAll ? v.lines[k].length : upperBound(v.times[k], t);
        if (n > 0) {
          clipped.push(n === v.lines[k].length ? v.lines[k] : v.lines[k].slice(0, n));
          pos = v.lines[k][n - 1]; prev = n > 1 ? v.lines[k][n - 2] : null;
        }
      }
      if (!v.lines.length) { // seen once
        var seen = v.props.t[0][0] * 1000 + this.t0;
        if (showAll || seen <= t) pos = v.lastLatLng;
      }
      if (clipped.length) (clippedByCat[v.cat] = clippedByCat[v.cat] || []).push.apply(clippedByCat[v.cat], clipped);
      var visible = pos !== null;
      if (visible) {
        if (showAll || t >= v.end) {
          v.marker.setLatLng(v.lastLatLng);
          v.marker.setHeading(heading(v.props));
        } else {
          v.marker.setLatLng(pos);
          v.marker.setHeading(prev ? bearing(prev, pos) : null);
        }
      }
      if (visible !== v.visible) {
        if (visible) this.groups.vessels.addLayer(v.marker); else this.groups.vessels.removeLayer(v.marker);
        v.visible = visible;
      }
    }
    Object.keys(this.trackLines || {}).forEach(function (cat) {
      this.trackLines[cat].setLatLngs(clippedByCat[cat] || []);
    }, this);
    for (var j = 0; j < this.alerts.length; j++) {
      var a = this.alerts[j];
      var shown = showAll || (a.start != null && a.start <= t);
      var over = !showAll && a.end != null && a.end < t;
      if (shown !== a.visible) {
        var f = shown ? 'addLayer' : 'removeLayer';
        a.group[f](a.marker);
        a.links.forEach(function (l) { a.group[f](l); });
        a.visible = shown;
      }
      if (shown) a.marker.setStyle({ fillOpacity: (over || (showAll && a.props.status !== 'open')) ? 0.55 : 0.95 });
    }
    this.restack();
  };

  // -- controls --------------------------------------------------------------------------
  MDA.Legend = L.Control.extend({
    options: { position: 'bottomright' },
    initialize: function (picture, present, opts) { L.setOptions(this, opts); this.picture = picture; this.present = present || {}; },
    onAdd: function () {
      var st = this.picture.styles, pr = this.present, div = L.DomUtil.create('div', 'mda-legend leaflet-bar');
      var h = '<div class="mda-legend-title">legend <span class="mda-toggle">–</span></div><div class="mda-legend-body">';
      function row(sw, label) { return '<div class="mda-legend-row">' + sw + '<span>' + esc(label) + '</span></div>'; }
      var ships = st.cfg.ships.filter(function (s) { return !pr.ships || pr.ships.indexOf(s.key) >= 0; });
      if (ships.length) {
        h += '<div class="mda-legend-h">vessels (ship type)</div>';
        ships.forEach(function (s) { h += row('<span class="mda-tri" style="border-bottom-color:' + esc(s.colour) + '"></span>', s.label); });
      }
      var kinds = st.cfg.alerts.filter(function (s) { return !pr.alerts || pr.alerts.indexOf(s.key) >= 0; });
      if (kinds.length) {
        h += '<div class="mda-legend-h">alerts (kind)</div>';
        kinds.forEach(function (s) { h += row('<span class="mda-dot" style="background:' + esc(s.colour) + '"></span>', s.label); });
        h += '<div class="mda-legend-h">severity (ring)</div>';
        st.cfg.severities.forEach(function (s) {
          h += row('<span class="mda-dot" style="background:#888;box-shadow:0 0 0 ' + s.weight + 'px ' + esc(s.ring) + ';width:' + (s.radius) + 'px;height:' + (s.radius) + 'px"></span>', s.key);
        });
        h += row('<span class="mda-line mda-dashed"></span>', 'gap: last and first positions');
        h += row('<span class="mda-line"></span>', 'rendezvous: the two vessels');
        h += row('<span class="mda-line mda-dotted"></span>', 'spoofing: jump / two places');
      }
      var zones = st.cfg.zones.filter(function (s) { return pr.zones && pr.zones.indexOf(s.key) >= 0; });
      if (zones.length) {
        h += '<div class="mda-legend-h">zones</div>';
        zones.forEach(function (s) { h += row('<span class="mda-box" style="border-color:' + esc(s.colour) + ';background:' + esc(s.colour) + '33"></span>', s.label); });
      }
      div.innerHTML = h + '</div>';
      if (this.options.collapsed) div.classList.add('mda-collapsed');
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      div.querySelector('.mda-legend-title').onclick = function () { div.classList.toggle('mda-collapsed'); };
      return div;
    }
  });

  MDA.Info = L.Control.extend({
    options: { position: 'topleft' },
    initialize: function (html, opts) { L.setOptions(this, opts); this.html = html; },
    onAdd: function () {
      var div = L.DomUtil.create('div', 'mda-info leaflet-bar');
      div.innerHTML = this.html + '<div class="mda-notice"></div>';
      L.DomEvent.disableClickPropagation(div);
      this.div = div;
      return div;
    },
    notice: function (text) { this.div.querySelector('.mda-notice').textContent = text; }
  });

  MDA.TimeSlider = L.Control.extend({
    options: { position: 'bottomleft' },
    initialize: function (picture, tmin, tmax, opts) { L.setOptions(this, opts); this.picture = picture; this.tmin = tmin; this.tmax = tmax; },
    onAdd: function () {
      var self = this, div = L.DomUtil.create('div', 'mda-slider leaflet-bar');
      div.innerHTML = '<button type="button" class="mda-play" title="play">▶</button>' +
        '<input type="range" class="mda-range" min="0" max="1000" value="1000" step="1" aria-label="time">' +
        '<span class="mda-time"></span>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      this.range = div.querySelector('.mda-range');
      this.label = div.querySelector('.mda-time');
      this.button = div.querySelector('.mda-play');
      var pending = false;
      this.range.addEventListener('input', function () {
        self.stop();
        if (!pending) { pending = true; L.Util.requestAnimFrame(function () { pending = false; self.apply(); }); }
      });
      this.button.addEventListener('click', function () { if (self.timer) self.stop(); else self.play(); });
      this.showLabel();
      return div;
    },
    value: function () { return this.tmin + (this.tmax - this.tmin) * (+this.range.value) / 1000; },
    showLabel: function () {
      var v = +this.range.value;
      this.label.textContent = v >= 1000 ? 'all, to ' + fmtTime(this.tmax) : fmtTime(this.value());
    },
    apply: function () {
      var v = +this.range.value;
      this.picture.setTime(v >= 1000 ? null : this.value());
      this.showLabel();
    },
    setValue: function (v) { this.range.value = String(v); this.apply(); },
    play: function () {
      var self = this;
      if (+this.range.value >= 1000) this.range.value = '0';
      this.button.textContent = '❚❚';
      this.timer = setInterval(function () {
        var v = Math.min(1000, +self.range.value + 4);
        self.setValue(v);
        if (v >= 1000) self.stop();
      }, 120);
    },
    stop: function () {
      if (this.timer) { clearInterval(this.timer); this.timer = null; }
      this.button.textContent = '▶';
    }
  });

  // Switch to the offline land base layer when a tile server cannot be reached.
  MDA.tileFallback = function (map, tiles, land, info) {
    if (!tiles || !land) return;
    var loaded = 0, failed = 0, switched = false;
    tiles.on('tileload', function () { loaded++; });
    tiles.on('tileerror', function () {
      failed++;
      if (!switched && loaded === 0 && failed >= 2) {
        switched = true;
        map.removeLayer(tiles);
        map.addLayer(land);
        if (info) info.notice('tile server unreachable: showing the offline land layer');
      }
    });
  };

  MDA.ready = function () {
    L.Util.requestAnimFrame(function () { window.MDA_READY = performance.now(); });
  };

  // The report map: folium made the map, the base layers, the groups and the layer control;
  // this fills the groups from the embedded data and adds the legend, info box and slider.
  MDA.report = function (map, data, groups) {
    // No animation: layers drawn during a zoom animation would be captured mid-flight.
    if (data.bounds) map.fitBounds(data.bounds, { animate: false });
    var pic = new Picture(map, data.style, groups);
    pic.setLand(data.land);
    pic.setZones(data.zones);
    pic.setVessels(data.tracks, data.t0);
    pic.setAlerts(data.alerts);
    var info = new MDA.Info(data.info_html).addTo(map);
    new MDA.Legend(pic, data.present).addTo(map);
    if (data.time && data.time.max > data.time.min) {
      pic.slider = new MDA.TimeSlider(pic, data.time.min * 1000, data.time.max * 1000).addTo(map);
    }
    MDA.tileFallback(map, groups.tiles, groups.land, info);
    window.MDA_PICTURE = pic;
    MDA.ready();
    return pic;
  };
})();
