// The patient form page (consents/patient/form.html; the clinic's tablet shows the same page).
//
// Without this script the page is one long form that posts everything. With it: one
// section per step with Back/Next and a progress bar; questions shown or hidden as answers
// change (the rules of medspa/consents/definition.py `evaluate` and `visible_keys`, over the
// version's definition embedded as JSON); autosave on every step change and 1.5 s after
// typing; photo uploads with a preview; a drawn signature pad (pointer: finger, pen or mouse)
// or a typed name; a review step listing every answer; and a submit that shows the server's
// errors beside their questions and opens the first section that has one. The server stays
// the authority: it drops answers to hidden questions and checks everything again.
// No inline scripts or handlers (CSP); text is set with textContent only.
(function () {
  "use strict";

  var form = document.querySelector("[data-consent-form]");
  var dataEl = document.getElementById("consent-definition");
  if (!form || !dataEl) {
    return;
  }
  var sections = JSON.parse(dataEl.textContent).sections;
  var LIST_TYPES = { multi_choice: true, checkbox_list: true };
  var NO_ANSWER = { note: true, signature: true };
  var DEBOUNCE = 1500;
  var RETRY = 10000;
  var NEEDS_ANSWER = "This question needs an answer.";
  var NEEDS_SIGNATURE = "Sign here: draw your signature or type your full name.";

  var saveUrl = form.getAttribute("data-save-url");
  var uploadUrl = form.getAttribute("data-upload-url");
  var csrf = (form.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
  var stepInput = form.querySelector("[data-step-input]");
  var kioskLink = form.querySelector("[name=kiosk_link]");
  var review = form.querySelector("[data-review]");
  var reviewList = form.querySelector("[data-review-list]");
  var progress = document.querySelector("[data-progress]");
  var stepLabel = document.querySelector("[data-step-label]");
  var stepBar = document.querySelector("[data-step-bar]");
  var saveStatus = document.querySelector("[data-save-status]");
  var alertEl = document.querySelector("[data-form-alert]");
  var REVIEW = sections.length;

  var fieldEls = {};
  form.querySelectorAll("[data-field]").forEach(function (wrap) {
    fieldEls[wrap.getAttribute("data-field")] = wrap;
  });
  var sectionEls = [];
  form.querySelectorAll("[data-section]").forEach(function (node) {
    sectionEls[Number(node.getAttribute("data-section"))] = node;
  });
  var fieldsByKey = {};
  sections.forEach(function (section) {
    section.fields.forEach(function (field) {
      fieldsByKey[field.key] = field;
    });
  });

  var state = { current: 0, visible: null, saveTimer: null, retryTimer: null, saving: false, again: false, submitting: false, stopped: false };

  // Conditions: the same rules as the server ------------------------------------------

  function toNumber(value) {
    if (value === null || value === undefined || typeof value === "boolean") {
      return null;
    }
    var text = String(value).trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) {
      return null;
    }
    var number = Number(text);
    return isFinite(number) ? number : null;
  }

  function same(answer, value) {
    if (Array.isArray(answer)) {
      return answer.some(function (a) { return same(a, value); });
    }
    var a = toNumber(answer);
    var v = toNumber(value);
    if (a !== null && v !== null) {
      return a === v;
    }
    return String(answer).trim().toLowerCase() === String(value).trim().toLowerCase();
  }

  function evaluate(condition, answers) {
    if (!condition) {
      return true;
    }
    if ("all" in condition) {
      return condition.all.every(function (c) { return evaluate(c, answers); });
    }
    if ("any" in condition) {
      return condition.any.some(function (c) { return evaluate(c, answers); });
    }
    if ("not" in condition) {
      return !evaluate(condition.not, answers);
    }
    var answer = Object.prototype.hasOwnProperty.call(answers, condition.field) ? answers[condition.field] : null;
    var op = condition.op;
    var value = condition.value;
    if (op === "answered") {
      return answer !== null;
    }
    if (op === "not_equals") {
      return answer === null || !same(answer, value);
    }
    if (answer === null) {
      return false;
    }
    if (op === "equals") {
      return same(answer, value);
    }
    if (op === "in") {
      return value.some(function (v) { return same(answer, v); });
    }
    if (op === "contains") {
      if (Array.isArray(answer)) {
        return same(answer, value);
      }
      return String(answer).toLowerCase().indexOf(String(value).toLowerCase()) !== -1;
    }
    var number = toNumber(answer);
    var limit = toNumber(value);
    if (number === null || limit === null) {
      return false;
    }
    return op === "gt" ? number > limit : number < limit;
  }

  // Which sections and fields are shown: each condition sees only answers shown before it.
  function visibility(answers) {
    var seen = {};
    var fields = {};
    var bySection = {};
    sections.forEach(function (section, index) {
      if (!evaluate(section.show_if, seen)) {
        return;
      }
      var keys = [];
      section.fields.forEach(function (field) {
        if (!evaluate(field.show_if, seen)) {
          return;
        }
        fields[field.key] = true;
        keys.push(field.key);
        var value = answers[field.key];
        if (value !== undefined && value !== null && !NO_ANSWER[field.type]) {
          seen[field.key] = value;
        }
      });
      if (keys.length) {
        bySection[index] = keys;
      }
    });
    return { fields: fields, sections: bySection };
  }

  // Answers as the page holds them ------------------------------------------------------

  function inputsOf(key) {
    var wrap = fieldEls[key];
    return wrap ? wrap.querySelectorAll('[name="answers.' + key + '"]') : [];
  }

  function readAnswer(field) {
    var inputs = Array.prototype.slice.call(inputsOf(field.key));
    if (!inputs.length) {
      return null;
    }
    if (LIST_TYPES[field.type]) {
      var chosen = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      return chosen.length ? chosen : null;
    }
    if (field.type === "acknowledgement") {
      return inputs[0].checked ? true : null;
    }
    if (inputs[0].type === "radio") {
      var picked = inputs.filter(function (i) { return i.checked; })[0];
      return picked ? picked.value : null;
    }
    var text = inputs[0].value.trim();
    return text === "" ? null : text;
  }

  function readAnswers() {
    var answers = {};
    Object.keys(fieldsByKey).forEach(function (key) {
      var field = fieldsByKey[key];
      if (NO_ANSWER[field.type]) {
        return;
      }
      var value = readAnswer(field);
      if (value !== null) {
        answers[key] = value;
      }
    });
    return answers;
  }

  // Hidden questions are disabled: they are not posted and not checked.
  function applyVisibility() {
    var vis = visibility(readAnswers());
    state.visible = vis;
    Object.keys(fieldEls).forEach(function (key) {
      var shown = !!vis.fields[key];
      var wrap = fieldEls[key];
      wrap.hidden = !shown;
      wrap.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !shown;
      });
    });
    return vis;
  }

  function steps() {
    var list = [];
    sections.forEach(function (_, index) {
      if (state.visible.sections[index]) {
        list.push(index);
      }
    });
    list.push(REVIEW);
    return list;
  }

  // Errors ------------------------------------------------------------------------------

  function errorEl(where) {
    return form.querySelector('[data-error-for="' + where + '"]');
  }

  function setError(where, message) {
    var node = errorEl(where);
    if (!node) {
      return false;
    }
    node.textContent = message || "";
    node.hidden = !message;
    var wrap = node.closest("[data-field]");
    if (wrap) {
      wrap.querySelectorAll("input:not([type=hidden]), textarea").forEach(function (input) {
        if (message) {
          input.setAttribute("aria-invalid", "true");
        } else {
          input.removeAttribute("aria-invalid");
        }
      });
    }
    return true;
  }

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach(function (node) {
      setError(node.getAttribute("data-error-for"), "");
    });
    showAlert("");
  }

  function showAlert(message) {
    if (!alertEl) {
      return;
    }
    alertEl.textContent = message || "";
    alertEl.hidden = !message;
    if (message) {
      alertEl.scrollIntoView({ block: "center" });
    }
  }

  function hasError(node) {
    return Array.prototype.some.call(node.querySelectorAll("[data-error-for]"), function (e) {
      return !e.hidden && e.textContent.trim() !== "";
    });
  }

  // Steps -------------------------------------------------------------------------------

  function showStep(index, focus) {
    var list = steps();
    if (list.indexOf(index) === -1) {
      index = list.filter(function (i) { return i <= index; }).pop();
      if (index === undefined) {
        index = list[0];
      }
    }
    state.current = index;
    stepInput.value = String(index);
    sectionEls.forEach(function (node, i) {
      if (node) {
        node.hidden = i !== index;
      }
    });
    review.hidden = index !== REVIEW;
    if (index === REVIEW) {
      buildReview();
    }
    var position = list.indexOf(index);
    var total = list.length - 1;
    stepLabel.textContent = index === REVIEW ? "Review and submit" : "Section " + (position + 1) + " of " + total;
    stepBar.max = list.length;
    stepBar.value = position + 1;
    sectionEls.forEach(function (node, i) {
      if (!node) {
        return;
      }
      var back = node.querySelector("[data-back]");
      back.hidden = list.indexOf(i) <= 0;
      var next = node.querySelector("[data-next]");
      next.textContent = list[list.indexOf(i) + 1] === REVIEW ? "Review" : "Next";
    });
    if (focus) {
      var target = index === REVIEW ? review : sectionEls[index];
      var title = target.querySelector("[data-step-title]");
      window.scrollTo(0, 0);
      if (title) {
        title.focus({ preventScroll: true });
      }
    }
  }

  function answered(field) {
    if (field.type === "signature") {
      var wrap = fieldEls[field.key];
      var method = wrap.querySelector("[data-signature-method]").value;
      if (method === "drawn") {
        return wrap.querySelector("[data-signature-image]").value !== "";
      }
      return wrap.querySelector("[data-signature-type] input").value.trim().length >= 2;
    }
    if (field.type === "note") {
      return true;
    }
    return readAnswer(field) !== null;
  }

  // The questions of one step that still need an answer, flagged beside each.
  function checkStep(index) {
    var keys = state.visible.sections[index] || [];
    var first = null;
    keys.forEach(function (key) {
      var field = fieldsByKey[key];
      if (!field.required || answered(field)) {
        return;
      }
      var where = (field.type === "signature" ? "signatures." : "answers.") + key;
      setError(where, field.type === "signature" ? NEEDS_SIGNATURE : NEEDS_ANSWER);
      first = first || fieldEls[key];
    });
    if (first) {
      var input = first.querySelector("input:not([type=hidden]):not([hidden]), textarea, canvas");
      first.scrollIntoView({ block: "center" });
      if (input && input.focus) {
        input.focus({ preventScroll: true });
      }
    }
    return first === null;
  }

  function move(delta) {
    var list = steps();
    var position = list.indexOf(state.current);
    if (delta > 0 && state.current !== REVIEW && !checkStep(state.current)) {
      return;
    }
    var target = list[Math.min(Math.max(position + delta, 0), list.length - 1)];
    showStep(target, true);
    saveNow();
  }

  form.querySelectorAll("[data-next]").forEach(function (button) {
    button.addEventListener("click", function () { move(1); });
  });
  form.querySelectorAll("[data-back]").forEach(function (button) {
    button.addEventListener("click", function () { move(-1); });
  });

  // Review ------------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function shownAnswer(field, value) {
    var wrap = fieldEls[field.key];
    if (field.type === "signature") {
      var method = wrap.querySelector("[data-signature-method]").value;
      var image = wrap.querySelector("[data-signature-image]").value;
      var name = wrap.querySelector("[data-signature-type] input").value.trim();
      if (method === "drawn" && image) {
        return { text: "Drawn signature", image: image };
      }
      return name ? { text: "Typed name: " + name } : null;
    }
    if (value === null || value === undefined) {
      return null;
    }
    if (field.type === "acknowledgement") {
      return { text: "Read and understood" };
    }
    if (field.type === "yes_no") {
      return { text: value === "yes" ? "Yes" : "No" };
    }
    if (field.type === "file") {
      var label = wrap.querySelector("[data-upload-name]").textContent.trim();
      return { text: label || "A photo is attached." };
    }
    if (Array.isArray(value)) {
      return { text: value.join(", ") };
    }
    return { text: String(value) };
  }

  function buildReview() {
    while (reviewList.firstChild) {
      reviewList.removeChild(reviewList.firstChild);
    }
    var answers = readAnswers();
    sections.forEach(function (section, index) {
      var keys = state.visible.sections[index];
      if (!keys) {
        return;
      }
      var block = el("div", "consent-review-block");
      var head = el("div", "flex items-center justify-between gap-3");
      head.appendChild(el("h3", "text-base font-semibold text-slate-900", section.title || "Your answers"));
      var change = el("button", "btn btn-ghost btn-sm", "Change");
      change.type = "button";
      change.setAttribute("aria-label", "Change " + (section.title || "these answers"));
      change.addEventListener("click", function () { showStep(index, true); });
      head.appendChild(change);
      block.appendChild(head);
      var list = el("dl", "consent-review-list");
      keys.forEach(function (key) {
        var field = fieldsByKey[key];
        if (field.type === "note") {
          return;
        }
        var row = el("div", "consent-review-row");
        row.setAttribute("data-review-field", key);
        row.appendChild(el("dt", "text-slate-500", field.label || section.title));
        var shown = shownAnswer(field, answers[key]);
        var dd = el("dd", shown ? "font-medium text-slate-900" : "text-slate-400", shown ? shown.text : "Not answered");
        if (shown && shown.image) {
          var img = el("img", "consent-review-signature");
          img.alt = "Your signature";
          img.src = shown.image;
          dd.appendChild(img);
        }
        row.appendChild(dd);
        list.appendChild(row);
      });
      block.appendChild(list);
      reviewList.appendChild(block);
    });
  }

  // Autosave ----------------------------------------------------------------------------

  function setStatus(tone, text) {
    if (saveStatus) {
      saveStatus.textContent = text;
      saveStatus.setAttribute("data-tone", tone);
    }
  }

  function payload(withSignatures) {
    var data = new FormData(form);
    var names = [];
    data.forEach(function (_, name) {
      if (name.indexOf("upload.") === 0 || (!withSignatures && name.indexOf("signatures.") === 0)) {
        names.push(name);
      }
    });
    names.forEach(function (name) { data.delete(name); });
    data.set("step", String(state.current));
    return data;
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var body = type.indexOf("json") !== -1 ? response.json() : Promise.resolve({});
      return body.then(function (json) {
        return { ok: response.ok, status: response.status, body: json || {} };
      });
    });
  }

  function scheduleSave() {
    if (state.stopped) {
      return;
    }
    clearTimeout(state.saveTimer);
    setStatus("pending", "");
    state.saveTimer = setTimeout(saveNow, DEBOUNCE);
  }

  function saveNow() {
    clearTimeout(state.saveTimer);
    clearTimeout(state.retryTimer);
    if (state.stopped || state.submitting) {
      return;
    }
    if (state.saving) {
      state.again = true;
      return;
    }
    state.saving = true;
    setStatus("saving", "Saving…");
    post(saveUrl, payload(false)).then(
      function (result) {
        state.saving = false;
        if (result.ok) {
          setStatus("saved", "Saved");
          var unsaved = result.body.fields || {};
          Object.keys(unsaved).forEach(function (where) { setError(where, unsaved[where]); });
        } else if (result.status === 404 || result.status === 409 || result.status === 410) {
          state.stopped = true;
          setStatus("error", "Not saved");
          showAlert(result.body.detail || "This form can no longer be changed.");
        } else {
          setStatus("error", "Not saved yet — retrying");
          state.retryTimer = setTimeout(saveNow, RETRY);
        }
        if (state.again) {
          state.again = false;
          saveNow();
        }
      },
      function () {
        state.saving = false;
        setStatus("offline", "Offline — your answers will be saved when you are back online");
        state.retryTimer = setTimeout(saveNow, RETRY);
      }
    );
  }

  window.addEventListener("online", saveNow);

  function changed(event) {
    var wrap = event.target.closest ? event.target.closest("[data-field]") : null;
    if (wrap) {
      var key = wrap.getAttribute("data-field");
      setError((wrap.getAttribute("data-type") === "signature" ? "signatures." : "answers.") + key, "");
    }
    applyVisibility();
    if (event.target.getAttribute("type") === "file") {
      return;
    }
    if (event.target.name && event.target.name.indexOf("signatures.") === 0) {
      return;
    }
    scheduleSave();
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  // Photo uploads -----------------------------------------------------------------------

  var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
  form.querySelectorAll("[data-camera]").forEach(function (label) {
    label.hidden = !coarse;
  });

  form.querySelectorAll("[data-upload]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) {
        return;
      }
      var wrap = input.closest("[data-field]");
      var key = wrap.getAttribute("data-field");
      var status = wrap.querySelector("[data-upload-status]");
      var data = new FormData();
      data.append("file", file);
      data.append("field", key);
      if (kioskLink) {
        data.append("kiosk_link", kioskLink.value);
      }
      status.textContent = "Uploading…";
      post(uploadUrl, data).then(
        function (result) {
          input.value = "";
          if (!result.ok) {
            status.textContent = "";
            var fields = result.body.fields || {};
            setError("answers." + key, fields["answers." + key] || result.body.detail || "The photo could not be added.");
            return;
          }
          status.textContent = "";
          wrap.querySelector("[data-file-id]").value = result.body.file_id;
          var thumb = wrap.querySelector("[data-upload-thumb]");
          thumb.src = URL.createObjectURL(file);
          thumb.hidden = false;
          wrap.querySelector("[data-upload-name]").textContent = file.name || "Photo added";
          wrap.querySelector("[data-upload-preview]").hidden = false;
          applyVisibility();
          saveNow();
        },
        function () {
          input.value = "";
          status.textContent = "";
          setError("answers." + key, "The photo could not be sent. Check your connection and try again.");
        }
      );
    });
  });

  // Signatures: drawn on the pad, or a typed name ----------------------------------------

  function setupSignature(wrap) {
    var method = wrap.querySelector("[data-signature-method]");
    var image = wrap.querySelector("[data-signature-image]");
    var drawPanel = wrap.querySelector("[data-signature-draw]");
    var typePanel = wrap.querySelector("[data-signature-type]");
    var typed = typePanel.querySelector("input");
    var toDrawn = wrap.querySelector("[data-signature-drawn]");
    var canvas = wrap.querySelector("[data-signature-canvas]");
    var where = "signatures." + wrap.getAttribute("data-field");

    // One way to sign at a time: the pad, or the typed-name box.
    function mode(which) {
      method.value = which;
      drawPanel.hidden = which !== "drawn";
      typePanel.hidden = which !== "typed";
      toDrawn.hidden = which !== "typed";
    }

    var pad = window.Medspa.signaturePad(canvas, function (drawn) {
      image.value = drawn;
      setError(where, "");
    });
    wrap.querySelector("[data-signature-clear]").addEventListener("click", function () {
      pad.clear();
      image.value = "";
    });
    wrap.querySelector("[data-signature-typed]").addEventListener("click", function () {
      mode("typed");
      typed.focus();
    });
    toDrawn.addEventListener("click", function () {
      mode("drawn");
    });
    typed.addEventListener("input", function () {
      setError(where, "");
    });
    mode(typed.value.trim() ? "typed" : "drawn");
  }

  form.querySelectorAll('[data-field][data-type="signature"]').forEach(setupSignature);

  // Submit ------------------------------------------------------------------------------

  function showErrors(fields, detail) {
    clearErrors();
    var unplaced = [];
    Object.keys(fields || {}).forEach(function (where) {
      if (!setError(where, fields[where])) {
        unplaced.push(fields[where]);
      }
    });
    var first = steps().filter(function (index) {
      return index !== REVIEW && sectionEls[index] && hasError(sectionEls[index]);
    })[0];
    if (first !== undefined) {
      showStep(first, true);
      var bad = sectionEls[first].querySelector("[data-error-for]:not([hidden])");
      if (bad) {
        bad.closest("[data-field]").scrollIntoView({ block: "center" });
      }
      showAlert(unplaced.length ? unplaced.join(" ") : "");
    } else {
      showAlert(unplaced.length ? unplaced.join(" ") : detail || "Please check your answers.");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (state.submitting) {
      return;
    }
    applyVisibility();
    clearErrors();
    var list = steps();
    for (var i = 0; i < list.length - 1; i += 1) {
      if (!checkStep(list[i])) {
        showStep(list[i], false);
        checkStep(list[i]);
        return;
      }
    }
    state.submitting = true;
    clearTimeout(state.saveTimer);
    clearTimeout(state.retryTimer);
    var button = review.querySelector("[data-submit]");
    button.disabled = true;
    button.textContent = "Submitting…";
    post(form.getAttribute("action"), payload(true)).then(
      function (result) {
        if (result.ok && result.body.redirect) {
          window.location.assign(result.body.redirect);
          return;
        }
        state.submitting = false;
        button.disabled = false;
        button.textContent = "Submit";
        if (result.status === 422) {
          showErrors(result.body.fields, result.body.detail);
        } else {
          showAlert(result.body.detail || "Something went wrong. Please try again in a moment.");
        }
      },
      function () {
        state.submitting = false;
        button.disabled = false;
        button.textContent = "Submit";
        showAlert("We could not reach the clinic. Check your connection and try again; your answers are still here.");
      }
    );
  });

  // Start: steps instead of one long page, resuming where the patient left off. ---------

  form.classList.add("is-stepped");
  form.querySelectorAll("[data-plain-hint]").forEach(function (node) { node.hidden = true; });
  form.querySelectorAll("[data-plain-submit]").forEach(function (node) { node.hidden = true; });
  form.querySelectorAll("[data-step-nav]").forEach(function (node) { node.hidden = false; });
  progress.hidden = false;
  applyVisibility();
  var start = parseInt(form.getAttribute("data-step"), 10) || 0;
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    var withError = steps().filter(function (index) {
      return index !== REVIEW && sectionEls[index] && hasError(sectionEls[index]);
    })[0];
    start = withError === undefined ? start : withError;
  }
  showStep(Math.min(Math.max(start, 0), REVIEW), false);
})();
