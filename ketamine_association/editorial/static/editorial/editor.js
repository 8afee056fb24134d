/* The browser editor: findings that jump to their line, a live check of the text by the
   site's own pipeline (debounced), "Check now", and image uploads inserted at the cursor.
   Without this script the page still works: findings are links to their field, saving
   checks, and an upload shows the Markdown to paste. */
(function () {
  "use strict";
  var form = document.getElementById("editor-form");
  if (!form) return;
  var checkUrl = form.getAttribute("data-check-url");
  var findings = document.getElementById("findings");
  var preview = document.getElementById("preview");
  var body = document.getElementById("id_body");
  var lastCursor = null;
  var DELAY = 800;

  function selectLine(textarea, line) {
    var lines = textarea.value.split("\n");
    var index = Math.max(0, Math.min(line, lines.length) - 1);
    var start = 0;
    for (var i = 0; i < index; i++) start += lines[i].length + 1;
    var end = start + lines[index].length;
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var style = window.getComputedStyle(textarea);
    var height = parseFloat(style.lineHeight) || 20;
    textarea.scrollTop = Math.max(0, index * height - textarea.clientHeight / 3);
    textarea.scrollIntoView({ block: "center" });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.ed-goto") : null;
    if (!link) return;
    var element = document.getElementById(link.getAttribute("data-element"));
    if (!element) return;
    event.preventDefault();
    var line = parseInt(link.getAttribute("data-line") || "0", 10);
    if (element.tagName === "TEXTAREA" && line > 0) {
      selectLine(element, line);
    } else {
      element.focus();
      element.scrollIntoView({ block: "center" });
    }
  });

  function show(data) {
    if (findings && typeof data.findings_html === "string") findings.innerHTML = data.findings_html;
    if (preview && typeof data.html === "string" && data.html) preview.innerHTML = data.html;
  }

  var pending = null;
  var running = false;
  function check() {
    if (!checkUrl || running) return;
    running = true;
    var data = new FormData(form);
    data.delete("full");
    fetch(checkUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json();
    }).then(show).catch(function () {}).then(function () {
      running = false;
    });
  }

  if (checkUrl) {
    var button = document.getElementById("check-now");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", check);
    }
    form.addEventListener("input", function () {
      if (pending) window.clearTimeout(pending);
      pending = window.setTimeout(check, DELAY);
    });
  }

  if (body) {
    var remember = function () { lastCursor = [body.selectionStart, body.selectionEnd]; };
    body.addEventListener("keyup", remember);
    body.addEventListener("click", remember);
    body.addEventListener("blur", remember);
  }

  var upload = document.getElementById("upload-form");
  if (upload && body) {
    var status = document.getElementById("upload-status");
    upload.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "Uploading…";
      fetch(upload.action, {
        method: "POST",
        body: new FormData(upload),
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        if (data.markdown) {
          var at = lastCursor || [body.value.length, body.value.length];
          body.value = body.value.slice(0, at[0]) + data.markdown + body.value.slice(at[1]);
          body.focus();
          body.setSelectionRange(at[0], at[0] + data.markdown.length);
          lastCursor = [at[0] + data.markdown.length, at[0] + data.markdown.length];
          status.textContent = "Inserted " + data.markdown + ". Save to keep it.";
          upload.reset();
          body.dispatchEvent(new Event("input", { bubbles: true }));
        } else {
          var errors = data.errors || {};
          var text = [];
          Object.keys(errors).forEach(function (name) { text = text.concat(errors[name]); });
          status.textContent = text.join(" ") || "The upload failed.";
        }
      }).catch(function () {
        status.textContent = "The upload failed; try again.";
      });
    });
  }
})();
