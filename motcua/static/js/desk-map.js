/* The desk map (/ban-do-mot-cua/): Leaflet markers from the page's JSON config, queue lengths refreshed every
   30 s. The list under the map works without it. */
document.addEventListener("DOMContentLoaded", function () {
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var box = document.getElementById("desk-map");
  var popups = {};
  function popup(m, waiting) {
    var div = document.createElement("div");
    [["strong", m.name], ["p", "Địa chỉ: " + m.address], ["p", m.hours ? "Giờ làm việc: " + m.hours : ""],
     ["p", "Đang chờ: " + waiting + " người"]].forEach(function (row) {
      if (!row[1]) return;
      var el = document.createElement(row[0]); el.textContent = row[1]; div.appendChild(el);
    });
    return div;
  }
  if (window.L && cfg.markers.length) {
    box.hidden = false;
    var map = L.map(box, {scrollWheelZoom: false});
    L.tileLayer(cfg.tiles, {maxZoom: 19, attribution: cfg.attribution}).addTo(map);
    var bounds = [];
    cfg.markers.forEach(function (m) {
      var marker = L.marker([m.lat, m.lng], {title: m.name, alt: m.name, keyboard: true}).addTo(map);
      marker.bindPopup(popup(m, m.waiting));
      popups[m.code] = {marker: marker, data: m};
      bounds.push([m.lat, m.lng]);
    });
    if (bounds.length === 1) { map.setView(bounds[0], 15); } else { map.fitBounds(bounds, {padding: [24, 24]}); }
  }
  function refresh() {
    fetch(cfg.queueUrl, {headers: {"Accept": "application/json"}}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) return;
        Object.keys(body.desks).forEach(function (code) {
          var n = body.desks[code];
          var item = document.querySelector('#desk-list [data-desk="' + code + '"] .mc-waiting');
          if (item) item.textContent = n;
          if (popups[code]) popups[code].marker.setPopupContent(popup(popups[code].data, n));
        });
        document.getElementById("queue-time").textContent = body.updated_label;
      }).catch(function () {});
  }
  setInterval(refresh, 30000);
});
