// Medspa browser code: htmx CSRF, live events over WebSocket, and the Alpine components.
//
// The Content-Security-Policy forbids eval, so Alpine runs as its CSP build: templates
// only name component properties and methods (x-data="menu", @click="toggle",
// x-show="open"); anything that needs logic lives here.
(function () {
  "use strict";

  var CSRF_COOKIE = "medspa_csrftoken";

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf(name + "=") === 0) {
        return decodeURIComponent(part.substring(name.length + 1));
      }
    }
    return "";
  }

  function csrfToken() {
    return readCookie(CSRF_COOKIE);
  }

  function focusableIn(root) {
    var selector =
      'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), ' +
      'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    return Array.prototype.filter.call(root.querySelectorAll(selector), function (el) {
      return el.offsetParent !== null || el === document.activeElement;
    });
  }

  // htmx: send the CSRF token with every request it makes (they are all same-origin).
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // htmx: settling copies old attributes by setAttribute, and an empty `style` attribute
  // (left by CSSOM writes) would be re-applied inline, which the CSP blocks; classes suffice.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  // htmx: a 409 (someone else saved first) or 422 (inline errors) answer carries the form
  // to show again, so swap it like a 200 instead of dropping it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // htmx: any other failed request (a 413 from the body-size guard, a 403 or 404 page, a
  // 5xx, no network) is not swapped, so say what happened in a toast. A poller failing
  // every second shows the same message once, not once per attempt.
  var REQUEST_ERRORS = {
    400: "The request was not accepted. Reload the page and try again.",
    401: "Your session has ended. Sign in again to continue.",
    403: "You do not have permission to do this.",
    404: "This item no longer exists, or you cannot see it.",
    405: "This action is not available here.",
    409: "Someone else changed this first. Reload the page and try again.",
    413: "The file is too large to upload. Split it into smaller files and try again.",
    422: "Some fields are not valid. Check the form and try again.",
    429: "Too many requests. Wait a moment and try again.",
  };
  var SERVER_ERROR = "The server had a problem. Try again in a moment; if it keeps happening, contact support.";
  var NETWORK_ERROR = "Could not reach the server. Check your connection and try again.";
  var lastRequestError = { message: "", at: 0 };

  function requestErrorMessage(status) {
    if (REQUEST_ERRORS[status]) {
      return REQUEST_ERRORS[status];
    }
    if (status >= 500) {
      return SERVER_ERROR;
    }
    if (!status) {
      return NETWORK_ERROR;
    }
    return "The request failed (error " + status + "). Try again.";
  }

  function toastRequestError(message) {
    var now = Date.now();
    if (message === lastRequestError.message && now - lastRequestError.at < 15000) {
      return;
    }
    lastRequestError = { message: message, at: now };
    window.dispatchEvent(new CustomEvent("toast", { detail: { level: "error", message: message } }));
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    toastRequestError(requestErrorMessage(xhr ? xhr.status : 0));
  });
  document.addEventListener("htmx:sendError", function () {
    toastRequestError(NETWORK_ERROR);
  });
  document.addEventListener("htmx:timeout", function () {
    toastRequestError(NETWORK_ERROR);
  });

  // Live events: one WebSocket per tab; each message becomes a `live:<event>` DOM event
  // on <body>, so a fragment can refresh itself with hx-trigger="live:foo from:body".
  function startLiveEvents() {
    var body = document.body;
    var path = body && body.getAttribute("data-live-url");
    if (!path || !("WebSocket" in window)) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + path;
    var attempt = 0;
    var socket = null;
    var pingTimer = null;
    var stopped = false;

    function connect() {
      if (stopped) {
        return;
      }
      socket = new WebSocket(url);
      socket.addEventListener("open", function () {
        attempt = 0;
        body.dispatchEvent(new CustomEvent("live:connected"));
        pingTimer = window.setInterval(function () {
          if (socket && socket.readyState === WebSocket.OPEN) {
            socket.send(JSON.stringify({ type: "ping" }));
          }
        }, 25000);
      });
      socket.addEventListener("message", function (message) {
        var data;
        try {
          data = JSON.parse(message.data);
        } catch (error) {
          return;
        }
        if (data && data.type === "event" && typeof data.event === "string") {
          body.dispatchEvent(new CustomEvent("live:" + data.event, { detail: data.payload || {} }));
        }
      });
      socket.addEventListener("close", function (event) {
        window.clearInterval(pingTimer);
        body.dispatchEvent(new CustomEvent("live:disconnected"));
        // 4401: the server refused this session (signed out, no clinic) — do not hammer it.
        if (event.code === 4401 || stopped) {
          return;
        }
        var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) + Math.floor(Math.random() * 1000);
        attempt += 1;
        window.setTimeout(connect, delay);
      });
    }

    window.addEventListener("pagehide", function () {
      stopped = true;
      if (socket) {
        socket.close();
      }
    });
    connect();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startLiveEvents);
  } else {
    startLiveEvents();
  }

  var TOAST_STYLES = {
    success: { tone: "border-emerald-200 bg-white", icon: "text-emerald-600", title: "Done" },
    info: { tone: "border-sky-200 bg-white", icon: "text-sky-600", title: "Note" },
    warning: { tone: "border-amber-200 bg-white", icon: "text-amber-600", title: "Heads up" },
    error: { tone: "border-red-200 bg-white", icon: "text-red-600", title: "Something went wrong" },
    debug: { tone: "border-slate-200 bg-white", icon: "text-slate-500", title: "Debug" },
  };
  var TOAST_SECONDS = { success: 5, info: 6, debug: 6, warning: 10, error: 0 };

  document.addEventListener("alpine:init", function () {
    var Alpine = window.Alpine;

    // The staff layout's navigation drawer on small screens.
    Alpine.data("sidebar", function () {
      return {
        open: false,
        toggle: function () {
          if (this.open) {
            this.close();
          } else {
            this.show();
          }
        },
        show: function () {
          var self = this;
          this.open = true;
          this.$nextTick(function () {
            if (self.$refs.closer) {
              self.$refs.closer.focus();
            }
          });
        },
        close: function () {
          if (!this.open) {
            return;
          }
          this.open = false;
          if (this.$refs.opener) {
            this.$refs.opener.focus();
          }
        },
        trapFocus: function (event) {
          trapTab(event, this.$refs.drawer);
        },
      };
    });

    // A dropdown: the clinic switcher and the user menu. Closes on outside click and Escape.
    Alpine.data("menu", function () {
      return {
        open: false,
        toggle: function () {
          this.open = !this.open;
          if (this.open) {
            var self = this;
            this.$nextTick(function () {
              var first = self.$refs.items && focusableIn(self.$refs.items)[0];
              if (first) {
                first.focus();
              }
            });
          }
        },
        close: function () {
          this.open = false;
        },
        closeAndFocus: function () {
          if (this.open) {
            this.open = false;
            if (this.$refs.button) {
              this.$refs.button.focus();
            }
          }
        },
      };
    });

    // Flash messages: Django messages rendered as JSON, plus htmx `HX-Trigger: {"toast": …}`.
    Alpine.data("toasts", function () {
      return {
        items: [],
        counter: 0,
        init: function () {
          var self = this;
          var source = document.getElementById("toasts-data");
          if (source) {
            try {
              JSON.parse(source.textContent || "[]").forEach(function (item) {
                self.push(item.level, item.message);
              });
            } catch (error) {
              /* A malformed payload only loses the toast. */
            }
          }
          window.addEventListener("toast", function (event) {
            var detail = event.detail || {};
            var message = detail.message || detail.value;
            if (message) {
              self.push(detail.level || "info", message);
            }
          });
        },
        push: function (level, message) {
          var key = TOAST_STYLES[level] ? level : "info";
          var style = TOAST_STYLES[key];
          var id = ++this.counter;
          this.items.push({
            id: id,
            level: key,
            message: String(message),
            title: style.title,
            toneClass: style.tone,
            iconClass: style.icon,
            isSuccess: key === "success",
            isProblem: key === "error" || key === "warning",
            isInfo: key === "info" || key === "debug",
          });
          var seconds = TOAST_SECONDS[key];
          if (seconds) {
            var self = this;
            window.setTimeout(function () {
              self.remove(id);
            }, seconds * 1000);
          }
        },
        remove: function (id) {
          this.items = this.items.filter(function (item) {
            return item.id !== id;
          });
        },
        dismiss: function (event) {
          var id = Number(event.currentTarget.getAttribute("data-toast-id"));
          this.remove(id);
        },
      };
    });

    // Warns a minute before the clinic's idle timeout; "Stay signed in" extends the session.
    Alpine.data("idleWarning", function () {
      return {
        open: false,
        secondsLeft: 60,
        idleSeconds: 0,
        deadline: 0,
        timer: null,
        busy: false,
        init: function () {
          var self = this;
          this.idleSeconds = parseInt(this.$el.getAttribute("data-idle-seconds"), 10) || 0;
          if (this.idleSeconds <= 0) {
            return;
          }
          this.restart();
          document.addEventListener("htmx:afterRequest", function () {
            self.restart();
          });
          document.addEventListener("visibilitychange", function () {
            if (document.visibilityState === "visible") {
              self.tick();
            }
          });
          this.timer = window.setInterval(function () {
            self.tick();
          }, 1000);
        },
        get countdown() {
          var s = Math.max(0, this.secondsLeft);
          var minutes = Math.floor(s / 60);
          var seconds = s % 60;
          return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
        },
        restart: function () {
          this.deadline = Date.now() + this.idleSeconds * 1000;
          this.open = false;
        },
        warnBefore: function () {
          return Math.min(60, Math.floor(this.idleSeconds / 2));
        },
        tick: function () {
          if (!this.deadline) {
            return;
          }
          var left = Math.round((this.deadline - Date.now()) / 1000);
          this.secondsLeft = left;
          if (left <= 0) {
            this.expire();
          } else if (left <= this.warnBefore() && !this.open && !this.busy) {
            this.checkThenWarn();
          }
        },
        // Another tab may have kept the session alive; ask the server before warning.
        checkThenWarn: function () {
          var self = this;
          this.busy = true;
          fetch("/session/status/", { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) {
              return response.ok && !response.redirected ? response.json() : { seconds_left: 0 };
            })
            .then(function (data) {
              var left = Number(data.seconds_left) || 0;
              if (left > self.warnBefore() + 5) {
                self.deadline = Date.now() + left * 1000;
              } else {
                self.deadline = Date.now() + Math.max(left, 1) * 1000;
                self.showWarning();
              }
            })
            .catch(function () {
              self.showWarning();
            })
            .finally(function () {
              self.busy = false;
            });
        },
        showWarning: function () {
          var self = this;
          this.open = true;
          this.$nextTick(function () {
            if (self.$refs.stay) {
              self.$refs.stay.focus();
            }
          });
        },
        stay: function () {
          var self = this;
          fetch("/session/keepalive/", {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-CSRFToken": csrfToken() },
          }).then(function (response) {
            if (response.status === 204) {
              self.restart();
            } else {
              window.location.reload();
            }
          }, function () {
            window.location.reload();
          });
        },
        // Reloading while the session is still alive would count as activity, so the
        // server has the last word on whether the time is really up.
        expire: function () {
          var self = this;
          if (this.busy) {
            return;
          }
          this.busy = true;
          fetch("/session/status/", { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) {
              return response.ok && !response.redirected ? response.json() : { seconds_left: 0 };
            })
            .catch(function () {
              return { seconds_left: 0 };
            })
            .then(function (data) {
              var left = Number(data.seconds_left) || 0;
              if (left > 0) {
                self.deadline = Date.now() + (left + 1) * 1000;
                self.busy = false;
              } else {
                window.clearInterval(self.timer);
                self.deadline = 0;
                window.location.reload();
              }
            });
        },
        trapFocus: function (event) {
          trapTab(event, this.$refs.panel);
        },
      };
    });

    // A dialog opened by a trigger button: Escape closes, Tab stays inside, focus returns.
    Alpine.data("modal", function () {
      return {
        open: false,
        show: function () {
          var self = this;
          this.open = true;
          this.$nextTick(function () {
            var panel = self.$refs.panel;
            var target = panel && (panel.querySelector("[data-autofocus]") || focusableIn(panel)[0]);
            if (target) {
              target.focus();
            }
          });
        },
        close: function () {
          if (!this.open) {
            return;
          }
          this.open = false;
          if (this.$refs.trigger) {
            this.$refs.trigger.focus();
          }
        },
        trapFocus: function (event) {
          trapTab(event, this.$refs.panel);
        },
      };
    });

    // Patient search: arrow keys move through the result rows ([data-result]) and Enter
    // opens the highlighted one; typing clears the highlight.
    Alpine.data("patientSearch", function () {
      return {
        active: -1,
        rows: function () {
          return Array.prototype.slice.call(this.$root.querySelectorAll("[data-result]"));
        },
        mark: function () {
          var self = this;
          this.rows().forEach(function (row, index) {
            var selected = index === self.active;
            row.setAttribute("aria-selected", selected ? "true" : "false");
            if (selected) {
              row.scrollIntoView({ block: "nearest" });
            }
          });
        },
        move: function (step) {
          var count = this.rows().length;
          if (!count) {
            this.active = -1;
            return;
          }
          this.active = Math.max(0, Math.min(count - 1, this.active + step));
          this.mark();
        },
        next: function (event) {
          event.preventDefault();
          this.move(1);
        },
        prev: function (event) {
          event.preventDefault();
          this.move(-1);
        },
        open: function (event) {
          var row = this.rows()[this.active];
          var link = row && row.querySelector("a[href]");
          if (!link) {
            return;
          }
          event.preventDefault();
          window.location.assign(link.href);
        },
        reset: function () {
          this.active = -1;
          this.mark();
        },
      };
    });

    // A "Copy" button next to a read-only value (e.g. the authenticator secret).
    Alpine.data("copyText", function () {
      return {
        copied: false,
        get label() {
          return this.copied ? "Copied" : "Copy";
        },
        copy: function () {
          var self = this;
          var source = this.$refs.source;
          var text = source ? source.value || source.textContent : "";
          if (!navigator.clipboard) {
            if (source && source.select) {
              source.select();
            }
            return;
          }
          navigator.clipboard.writeText(text.trim()).then(function () {
            self.copied = true;
            window.setTimeout(function () {
              self.copied = false;
            }, 2000);
          });
        },
      };
    });
  });

  function trapTab(event, panel) {
    if (event.key !== "Tab" || !panel) {
      return;
    }
    var items = focusableIn(panel);
    if (!items.length) {
      event.preventDefault();
      return;
    }
    var first = items[0];
    var last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }
})();
