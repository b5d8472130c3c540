// The live event feed: reads each domain's server-sent events through the gateway's own
// stream API with the page's short-lived token (fetch, since EventSource cannot send it), from
// the moment the page opened, and adds one row per CloudEvent. The table's data-open counts
// the streams that are open. When the token expires the page is loaded again for a new one,
// resuming each stream after its last event.
(function () {
  "use strict";
  var table = document.getElementById("feed");
  if (!table || !window.fetch || !window.TextDecoder) { return; }
  var body = table.tBodies[0];
  var token = table.getAttribute("data-token");
  var resume = {};
  try { resume = JSON.parse(window.sessionStorage.getItem("sinergi-feed") || "{}"); } catch (e) {}
  var open = 0;
  var domains = (table.getAttribute("data-domains") || "").split(",").filter(Boolean);
  var MAX_ROWS = 200;

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text == null ? "" : String(text);
    row.appendChild(td);
  }

  function add(domain, event) {
    var waiting = body.querySelector("tr.waiting");
    if (waiting) { body.removeChild(waiting); }
    var row = document.createElement("tr");
    row.setAttribute("data-subject", event.subject || "");
    cell(row, (event.time || "").replace("T", " ").slice(0, 19));
    cell(row, domain);
    cell(row, (event.type || "").replace("id.go.kemnaker.sinergi.", ""));
    cell(row, event.region);
    cell(row, event.subject);
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > MAX_ROWS) { body.deleteRow(body.rows.length - 1); }
  }

  function follow(domain) {
    var url = "/api/v1/streams/" + domain +
      (resume[domain] ? "?after=" + encodeURIComponent(resume[domain]) : "?from=latest");
    fetch(url, { headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" } })
      .then(function (response) {
        if (!response.ok || !response.body) { return; }
        open += 1;
        table.setAttribute("data-open", String(open));
        var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) { return; }
            buffer += decoder.decode(chunk.value, { stream: true });
            var parts = buffer.split("\n\n");
            buffer = parts.pop();
            parts.forEach(function (part) {
              var name = "message", data = [], id = null;
              part.split("\n").forEach(function (line) {
                if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
                if (line.indexOf("data:") === 0) { data.push(line.slice(5).trim()); }
                if (line.indexOf("id:") === 0) { id = line.slice(3).trim(); }
              });
              if (id) {
                resume[domain] = id;
                window.sessionStorage.setItem("sinergi-feed", JSON.stringify(resume));
              }
              if (name === "token-expired") { window.location.reload(); return; }
              if (data.length) { add(domain, JSON.parse(data.join("\n"))); }
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function () { /* the stream ends when the page goes away */ });
  }
  domains.forEach(follow);
}());
