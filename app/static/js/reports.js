// Zeren reports: a report that is not made yet is made by a job, so links marked
// data-report ask for it with fetch() (accepting JSON): the file when it is made, else
// the job's state, asked again until the file comes; a status line below the link shows
// the progress (no inline script: the CSP allows only 'self').  The messages come
// translated from #report-messages.  Without this script a link opens the waiting page,
// which reloads itself until the file is there.
(function () {
  "use strict";
  if (!window.fetch || !window.URL || !URL.createObjectURL) {
    return;
  }

  function filenameOf(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var encoded = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (encoded) {
      try {
        return decodeURIComponent(encoded[1]);
      } catch (ignored) { /* fall through to the plain name */ }
    }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  function say(template, value) {
    return (template || "%s").replace("%s", value);
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = name;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-report]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    if (link.getAttribute("aria-busy") === "true") {
      return;
    }
    var messages = (document.getElementById("report-messages") || {dataset: {}}).dataset;
    var row = link.closest("[data-report-row]") || link.parentNode;
    var status = row.querySelector(".report-progress");
    var started = Date.now();
    function seconds() { return ((Date.now() - started) / 1000).toFixed(0); }
    link.setAttribute("aria-busy", "true");
    link.classList.add("disabled");
    if (status) {
      status.hidden = false;
      status.classList.remove("text-danger");
      status.textContent = say(messages.working, "0");
    }
    var job = null;  // the last state the server sent while the file was being made
    var timer = setInterval(function () {
      if (status) { status.textContent = job ? progressText(job) : say(messages.working, seconds()); }
    }, 500);
    function progressText(job) {
      var text = job.state === "queued" ? messages.queued : (job.stage === "layout" ? messages.layout : messages.gathering);
      if (job.total && job.stage === "gathering") {
        text += " " + job.done + "/" + job.total;
      }
      return text + " · " + say(messages.working, seconds());
    }
    var url = link.href;  // then the job's own address, which the server sends
    function ask() {
      return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === 0) {
            return response.json().then(function (state) {
              if (state.state === "failed") {
                throw new Error(state.error || response.status);
              }
              job = state;
              url = state.poll || url;
              if (status) { status.textContent = progressText(job); }
              return new Promise(function (resolve) { setTimeout(resolve, 1500); }).then(ask);
            });
          }
          if (!response.ok) {
            throw new Error(response.status + " " + response.statusText);
          }
          if (type.indexOf("text/html") === 0) {
            // Not a file (e.g. redirected to a page that explains why): show that page.
            window.location.assign(response.url);
            return null;
          }
          return response.blob().then(function (blob) {
            save(blob, filenameOf(response, link.pathname.split("/").pop()));
            if (status) {
              status.textContent = say(messages.done, ((Date.now() - started) / 1000).toFixed(1));
            }
          });
        });
    }
    ask().catch(function (error) {
      if (status) {
        status.classList.add("text-danger");
        status.textContent = say(messages.failed, error.message);
      }
    }).then(function () {
      clearInterval(timer);
      link.removeAttribute("aria-busy");
      link.classList.remove("disabled");
    });
  });
}());
