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

  // Calendar helpers: wall-clock strings ("2026-05-01T09:30:00") of an IANA time zone.
  var MOVABLE = { requested: true, scheduled: true, confirmed: true, arrived: true };
  var STATUS_GLYPHS = {
    requested: "?",
    scheduled: "•",
    confirmed: "✓",
    arrived: "→",
    in_progress: "▶",
    completed: "✔",
    no_show: "!",
    cancelled: "✕",
  };
  var zoneFormats = {};

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // The calendar's dates carry the location's wall-clock time in their local fields.
  function wallOf(date) {
    var d = date instanceof Date ? date : new Date(date);
    return (
      d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds())
    );
  }

  // The wall-clock time in `zone` at the instant `ms`, as milliseconds of a UTC clock.
  function zoneClock(ms, zone) {
    if (!zoneFormats[zone]) {
      zoneFormats[zone] = new Intl.DateTimeFormat("en-US", {
        timeZone: zone,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    }
    var f = {};
    zoneFormats[zone].formatToParts(new Date(ms)).forEach(function (part) {
      f[part.type] = part.value;
    });
    return Date.UTC(+f.year, +f.month - 1, +f.day, +f.hour % 24, +f.minute, +f.second);
  }

  // The instant (ms) of a wall-clock time in `zone`; across a DST change the offset of the
  // result is checked again, so times on either side land right.
  function wallToUtc(wall, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(wall);
    var guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    var offset = zoneClock(guess, zone) - guess;
    var instant = guess - offset;
    var second = zoneClock(instant, zone) - instant;
    return second === offset ? instant : guess - second;
  }

  function utcToWall(iso, zone) {
    return new Date(zoneClock(Date.parse(iso), zone)).toISOString().slice(0, 19);
  }

  function clock(wall) {
    return wall.slice(11, 16);
  }

  function minutesDuration(minutes) {
    return pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }

  // A service colour as a light background that keeps dark text readable.
  function tint(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) {
      return "#e2e8f0";
    }
    var n = parseInt(m[1], 16);
    var mix = function (c) {
      return Math.round(c + (255 - c) * 0.72);
    };
    return "rgb(" + mix((n >> 16) & 255) + "," + mix((n >> 8) & 255) + "," + mix(n & 255) + ")";
  }

  function toast(level, message) {
    window.dispatchEvent(new CustomEvent("toast", { detail: { level: level, message: message } }));
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

    // The staff calendar: vkurko Event Calendar with a column per provider or per room.
    // Times shown are wall-clock times of the clinic's location (its IANA zone comes with
    // the page), whatever the zone of the device; the API speaks UTC.
    Alpine.data("calendar", function () {
      return {
        config: null,
        ec: null,
        view: "day",
        group: "provider",
        provider: "",
        room: "",
        cancelled: false,
        loading: false,
        error: "",
        empty: false,
        title: "",
        live: "connecting",
        dialogOpen: false,
        dialogTitle: "Appointment",
        opener: null,
        refetchTimer: null,
        expiryTimer: null,
        get liveClass() {
          return this.live === "on" ? "bg-emerald-500" : this.live === "off" ? "bg-amber-500" : "bg-slate-300";
        },
        // Rooms have no working hours: their columns are not greyed as closed.
        get gridClass() {
          return this.group === "room" ? "is-rooms" : "";
        },
        get liveLabel() {
          return this.live === "on" ? "Live" : this.live === "off" ? "Reconnecting…" : "Connecting…";
        },
        init: function () {
          var self = this;
          var source = document.getElementById("calendar-config");
          if (!source || !this.$refs.calendar) {
            return;
          }
          if (!window.EventCalendar) {
            this.error = "The calendar could not start. Reload the page.";
            return;
          }
          this.config = JSON.parse(source.textContent);
          var phone = window.matchMedia("(max-width: 639px)").matches;
          if (phone && !this.config.ownOnly && this.config.providers.length > 1) {
            // One column on a phone: the first provider, changeable with the filter.
            this.provider = this.config.providers[0].id;
            if (this.$refs.provider) {
              this.$refs.provider.value = this.provider;
            }
          }
          this.ec = window.EventCalendar.create(this.$refs.calendar, this.options(phone));
          var body = document.body;
          [
            "live:appointment.created",
            "live:appointment.updated",
            "live:hold.created",
            "live:hold.released",
          ].forEach(function (name) {
            body.addEventListener(name, function () {
              self.refetchSoon();
            });
          });
          body.addEventListener("live:connected", function () {
            var wasOff = self.live === "off";
            self.live = "on";
            if (wasOff) {
              self.refetchSoon();
            }
          });
          body.addEventListener("live:disconnected", function () {
            self.live = "off";
          });
          body.addEventListener("calendar-saved", function () {
            self.closeDialog();
            self.refetchSoon();
          });
          // A booking link was made or withdrawn in the dialog, which stays open.
          body.addEventListener("calendar-refetch", function () {
            self.refetchSoon();
          });
        },
        options: function (phone) {
          var self = this;
          var c = this.config;
          var slot = minutesDuration(c.slotMinutes || 15);
          return {
            view: "resourceTimeGridDay",
            date: c.date,
            resources: this.resources(),
            eventSources: [
              {
                events: function (info) {
                  return self.fetchAppointments(info);
                },
              },
              {
                events: function (info) {
                  return self.fetchShading(info);
                },
              },
              {
                events: function (info) {
                  return self.fetchHolds(info);
                },
              },
            ],
            editable: !!c.canBook,
            eventStartEditable: !!c.canBook,
            eventDurationEditable: !!c.canBook,
            selectable: false,
            nowIndicator: true,
            allDaySlot: false,
            firstDay: 1,
            datesAboveResources: true,
            slotDuration: slot,
            snapDuration: slot,
            slotMinTime: "06:00",
            slotMaxTime: "22:00",
            scrollTime: "08:00",
            height: phone ? "70vh" : "75vh",
            longPressDelay: 350,
            eventLongPressDelay: 350,
            headerToolbar: { start: "prev,next today", center: "title", end: "" },
            buttonText: { today: "Today" },
            eventContent: function (info) {
              return self.renderEvent(info);
            },
            eventClick: function (info) {
              var props = info.event.extendedProps || {};
              if (props.item) {
                self.openDetail(props.item.id);
              } else if (props.hold) {
                self.newLink();
              }
            },
            dateClick: function (info) {
              self.openBookingAt(info);
            },
            eventDrop: function (info) {
              self.save(info);
            },
            eventResize: function (info) {
              self.save(info);
            },
            loading: function (isLoading) {
              self.loading = isLoading;
            },
            datesSet: function (info) {
              self.title = info.view.title;
            },
            eventAllUpdated: function () {
              self.empty = !!self.ec && !self.error && !self.ec.getEvents().some(function (e) {
                return e.extendedProps && e.extendedProps.item;
              });
            },
          };
        },
        resources: function () {
          var self = this;
          var c = this.config;
          if (this.group === "room") {
            var rooms = c.rooms
              .filter(function (r) {
                return r.location === c.location && (!self.room || r.id === self.room);
              })
              .map(function (r) {
                return { id: r.id, title: r.title };
              });
            if (!this.room) {
              rooms.push({ id: "none", title: "No room" });
            }
            return rooms;
          }
          return c.providers
            .filter(function (p) {
              return !self.provider || p.id === self.provider;
            })
            .map(function (p) {
              return { id: p.id, title: p.title };
            });
        },
        query: function (info) {
          var c = this.config;
          var zone = c.timezone;
          var params = new URLSearchParams({
            start: new Date(wallToUtc(wallOf(info.start), zone)).toISOString(),
            end: new Date(wallToUtc(wallOf(info.end), zone)).toISOString(),
            location_id: c.location,
          });
          if (this.provider) {
            params.set("provider_id", this.provider);
          }
          if (this.room) {
            params.set("room_id", this.room);
          }
          if (this.cancelled) {
            params.set("include_cancelled", "true");
          }
          return params.toString();
        },
        fetchAppointments: function (info) {
          var self = this;
          return fetch(this.config.urls.feed + "?" + this.query(info), {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
          })
            .then(function (response) {
              if (!response.ok) {
                throw new Error(requestErrorMessage(response.status));
              }
              return response.json();
            })
            .then(function (data) {
              self.error = "";
              return (data.items || []).map(function (item) {
                return self.toEvent(item);
              });
            })
            .catch(function (problem) {
              self.error = problem && problem.message && problem.message !== "Failed to fetch"
                ? problem.message
                : NETWORK_ERROR;
              return [];
            });
        },
        fetchShading: function (info) {
          if (this.group !== "provider") {
            return Promise.resolve([]);
          }
          var params = new URLSearchParams({
            start: wallOf(info.start).slice(0, 10),
            end: wallOf(info.end).slice(0, 10),
            location: this.config.location,
          });
          return fetch(this.config.urls.hours + "?" + params.toString(), {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
          })
            .then(function (response) {
              return response.ok ? response.json() : { items: [] };
            })
            .then(function (data) {
              return data.items || [];
            })
            .catch(function () {
              return [];
            });
        },
        // Live holds (online bookings in progress, finish links sent) in the practitioner's
        // column; they cannot be moved. The calendar looks again when the first one lapses.
        fetchHolds: function (info) {
          var self = this;
          var url = this.config.urls.holds;
          window.clearTimeout(this.expiryTimer);
          if (!url || this.group !== "provider" || this.room) {
            return Promise.resolve([]);
          }
          return fetch(url + "?" + this.query(info), {
            credentials: "same-origin",
            headers: { Accept: "application/json" },
          })
            .then(function (response) {
              return response.ok ? response.json() : { items: [] };
            })
            .then(function (data) {
              var items = data.items || [];
              var first = Math.min.apply(
                null,
                items.map(function (hold) {
                  return Date.parse(hold.expires);
                })
              );
              if (isFinite(first)) {
                self.expiryTimer = window.setTimeout(function () {
                  self.refetchSoon();
                }, Math.max(1000, first - Date.now() + 1000));
              }
              return items.map(function (hold) {
                return self.toHold(hold);
              });
            })
            .catch(function () {
              return [];
            });
        },
        toHold: function (hold) {
          var zone = this.config.timezone;
          return {
            id: "hold-" + hold.id,
            resourceIds: [hold.practitioner_id],
            start: utcToWall(hold.start, zone),
            end: utcToWall(hold.end, zone),
            title: hold.label,
            classNames: ["hold", "hold-" + hold.kind],
            editable: false,
            startEditable: false,
            durationEditable: false,
            extendedProps: { hold: hold },
          };
        },
        renderHold: function (hold) {
          var root = document.createElement("div");
          var line = document.createElement("div");
          line.className = "appt-line";
          var name = document.createElement("span");
          name.className = "appt-name";
          name.textContent = hold.label + (hold.first_name ? " · " + hold.first_name : "");
          line.appendChild(name);
          var meta = document.createElement("div");
          meta.className = "appt-meta";
          meta.textContent = "Held until " + clock(utcToWall(hold.expires, this.config.timezone));
          root.appendChild(line);
          root.appendChild(meta);
          return { domNodes: [root] };
        },
        toEvent: function (item) {
          var zone = this.config.timezone;
          var column = this.group === "room" ? item.room_id || "none" : item.practitioner_id;
          return {
            id: item.id,
            resourceIds: [column],
            start: utcToWall(item.start, zone),
            end: utcToWall(item.end, zone),
            title: item.patient_name,
            backgroundColor: tint(item.color),
            classNames: ["appt", "appt-" + item.status, "cal-status-" + item.status],
            editable: !!this.config.canBook && MOVABLE[item.status] === true,
            extendedProps: { item: item },
          };
        },
        renderEvent: function (info) {
          var event = info.event;
          var item = event.extendedProps && event.extendedProps.item;
          if (event.extendedProps && event.extendedProps.hold) {
            return this.renderHold(event.extendedProps.hold);
          }
          if (!item) {
            var text = document.createElement("span");
            text.textContent = typeof event.title === "string" ? event.title : "";
            return { domNodes: [text] };
          }
          var look = this.config.statuses[item.status] || { label: item.status };
          var root = document.createElement("div");
          var line = document.createElement("div");
          line.className = "appt-line";
          var icon = document.createElement("span");
          icon.className = "appt-icon";
          icon.setAttribute("aria-hidden", "true");
          icon.textContent = STATUS_GLYPHS[item.status] || "•";
          var name = document.createElement("span");
          name.className = "appt-name";
          name.textContent = item.patient_name;
          var status = document.createElement("span");
          status.className = "sr-only";
          status.textContent = ", " + look.label;
          line.appendChild(icon);
          line.appendChild(name);
          line.appendChild(status);
          (item.flags || []).forEach(function (flag) {
            var mark = document.createElement("span");
            mark.className = "appt-flag appt-flag-" + flag.state;
            mark.setAttribute("title", flag.label);
            mark.setAttribute("data-flag", flag.key);
            mark.textContent = flag.state === "ok" ? "✓" : "!";
            var spoken = document.createElement("span");
            spoken.className = "sr-only";
            spoken.textContent = ", " + flag.label;
            line.appendChild(mark);
            line.appendChild(spoken);
          });
          var meta = document.createElement("div");
          meta.className = "appt-meta";
          var other = this.group === "room" ? item.practitioner_name : item.room_name;
          meta.textContent =
            clock(utcToWall(item.start, this.config.timezone)) + " " + item.service_name + (other ? " · " + other : "");
          root.appendChild(line);
          root.appendChild(meta);
          if (item.status === "requested") {
            var awaiting = document.createElement("div");
            awaiting.className = "appt-awaiting";
            awaiting.textContent = "Awaiting approval";
            root.appendChild(awaiting);
          }
          return { domNodes: [root] };
        },
        refetch: function () {
          if (this.ec) {
            this.error = "";
            this.ec.refetchEvents();
          }
        },
        refetchSoon: function () {
          var self = this;
          window.clearTimeout(this.refetchTimer);
          this.refetchTimer = window.setTimeout(function () {
            self.refetch();
          }, 100);
        },
        rebuild: function () {
          if (this.ec) {
            this.ec.setOption("resources", this.resources());
            this.refetch();
          }
        },
        setView: function (event) {
          this.view = event.target.value === "week" ? "week" : "day";
          this.ec.setOption("view", this.view === "week" ? "resourceTimeGridWeek" : "resourceTimeGridDay");
        },
        setGroup: function (event) {
          this.group = event.target.value === "room" ? "room" : "provider";
          this.rebuild();
        },
        setProvider: function (event) {
          this.provider = event.target.value;
          this.rebuild();
        },
        setRoom: function (event) {
          this.room = event.target.value;
          this.rebuild();
        },
        setCancelled: function (event) {
          this.cancelled = !!event.target.checked;
          this.refetch();
        },
        setLocation: function (event) {
          var url = new URL(window.location.href);
          url.searchParams.set("location", event.target.value);
          window.location.assign(url.toString());
        },
        save: function (info) {
          var self = this;
          var item = info.event.extendedProps.item;
          var zone = this.config.timezone;
          var start = wallOf(info.event.start);
          var body = {
            start: new Date(wallToUtc(start, zone)).toISOString(),
            duration_minutes: Math.round((info.event.end - info.event.start) / 60000),
            version: item.version,
          };
          if (info.newResource) {
            if (this.group === "provider") {
              body.practitioner_id = info.newResource.id;
            } else if (info.newResource.id !== "none") {
              body.room_id = info.newResource.id;
            } else {
              info.revert();
              toast("error", "Choose a room column to move an appointment into.");
              return;
            }
          }
          fetch(this.config.urls.move + item.id, {
            method: "PUT",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
            body: JSON.stringify(body),
          })
            .then(function (response) {
              return response
                .json()
                .catch(function () {
                  return {};
                })
                .then(function (data) {
                  if (!response.ok) {
                    var message = data.detail || requestErrorMessage(response.status);
                    throw new Error(message + " The appointment was put back.");
                  }
                  item.version = data.version;
                  toast("success", item.patient_name + " moved to " + clock(start) + ".");
                  self.refetchSoon();
                });
            })
            .catch(function (problem) {
              info.revert();
              toast("error", problem && problem.message !== "Failed to fetch" ? problem.message : NETWORK_ERROR);
            });
        },
        openDetail: function (id) {
          this.dialogTitle = "Appointment";
          this.openDialog(this.config.urls.detail + encodeURIComponent(id) + "/");
        },
        openBookingAt: function (info) {
          if (!this.config.canBook) {
            return;
          }
          var params = new URLSearchParams({ start: wallOf(info.date).slice(0, 16), location: this.config.location });
          if (info.resource && info.resource.id !== "none") {
            params.set(this.group === "room" ? "room" : "provider", info.resource.id);
          }
          this.dialogTitle = "Book an appointment";
          this.openDialog(this.config.urls.book + "?" + params.toString());
        },
        newBooking: function () {
          var day = this.ec ? wallOf(this.ec.getOption("date")).slice(0, 10) : this.config.date;
          var params = new URLSearchParams({ start: day + "T09:00", location: this.config.location });
          if (this.provider) {
            params.set("provider", this.provider);
          }
          this.dialogTitle = "Book an appointment";
          this.openDialog(this.config.urls.book + "?" + params.toString());
        },
        newLink: function () {
          if (!this.config.canBook || !this.config.urls.links) {
            return;
          }
          var day = this.ec ? wallOf(this.ec.getOption("date")).slice(0, 10) : this.config.date;
          var params = new URLSearchParams({ start: day, location: this.config.location });
          if (this.provider) {
            params.set("provider", this.provider);
          }
          this.dialogTitle = "Send a booking link";
          this.openDialog(this.config.urls.links + "?" + params.toString());
        },
        openDialog: function (url) {
          var self = this;
          var target = this.$refs.dialogBody;
          this.opener = document.activeElement;
          var waiting = document.createElement("p");
          waiting.className = "p-6 text-sm text-slate-500";
          waiting.setAttribute("role", "status");
          waiting.textContent = "Loading…";
          target.replaceChildren(waiting);
          this.dialogOpen = true;
          window.htmx.ajax("GET", url, { target: target, swap: "innerHTML" }).then(function () {
            self.$nextTick(function () {
              var panel = self.$refs.panel;
              var first = panel && (panel.querySelector("[data-autofocus]") || focusableIn(panel)[0]);
              if (first) {
                first.focus();
              }
            });
          });
        },
        closeDialog: function () {
          if (!this.dialogOpen) {
            return;
          }
          this.dialogOpen = false;
          if (this.opener && document.contains(this.opener)) {
            this.opener.focus();
          }
        },
        trapFocus: function (event) {
          trapTab(event, this.$refs.panel);
        },
      };
    });

    // The booking form: a suggested time fills the start field and re-checks it.
    Alpine.data("bookingForm", function () {
      return {
        pick: function (event) {
          var value = event.currentTarget.getAttribute("data-start");
          var input = this.$root.querySelector('input[name="start"]');
          if (input && value) {
            input.value = value;
            input.dispatchEvent(new Event("change", { bubbles: true }));
          }
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
