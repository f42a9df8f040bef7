// Small pieces the page scripts share (loaded before them): `Medspa.el` builds DOM nodes
// without innerHTML; `Medspa.signaturePad` turns a canvas into a signature pad whose strokes
// are handed over as a PNG data URL. Vanilla JS, no inline handlers (CSP).
(function () {
  "use strict";

  var Medspa = (window.Medspa = window.Medspa || {});

  // el("p", {class: "x", text: "Hi", value: "…", hidden: true}, [child, "text"])
  Medspa.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === false || value === null || value === undefined) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name === "value") node.value = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  };

  // Pointer strokes (mouse, pen, finger) on `canvas`; after each stroke `onDrawn(dataUrl)`.
  // Returns {clear()}.
  Medspa.signaturePad = function (canvas, onDrawn) {
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var marked = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#0f172a";

    function at(event) {
      var box = canvas.getBoundingClientRect();
      return [
        ((event.clientX - box.left) / box.width) * canvas.width,
        ((event.clientY - box.top) / box.height) * canvas.height,
      ];
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      if (canvas.setPointerCapture) canvas.setPointerCapture(event.pointerId);
      drawing = true;
      var p = at(event);
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var p = at(event);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      marked = true;
    });
    function finish() {
      if (!drawing) return;
      drawing = false;
      if (marked) onDrawn(canvas.toDataURL("image/png"));
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("pointerleave", finish);
    return {
      clear: function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        marked = false;
      },
    };
  };
})();
