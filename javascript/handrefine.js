// HandRefine accordion: hover hints for every option (from the help texts the accordion ships in a hidden
// element) and dependent controls kept in step (guidance start <= end; ControlNet knobs dimmed without a model).
(function () {
    "use strict";

    function setHints(root) {
        root.querySelectorAll(".handrefine-hints").forEach(function (holder) {
            var hints;
            try {
                hints = JSON.parse(holder.dataset.hints || "{}");
            } catch (e) {
                return;
            }
            Object.keys(hints).forEach(function (id) {
                var el = document.getElementById(id);
                if (!el || el.dataset.handrefineHinted) return;
                el.dataset.handrefineHinted = "1";
                el.title = hints[id];
                el.querySelectorAll("label, span, input, textarea").forEach(function (child) {
                    child.title = hints[id];
                });
            });
        });
    }

    function numberInput(id) {
        var el = document.getElementById(id);
        return el ? el.querySelector("input[type=number]") : null;
    }

    function setNumber(id, value) {
        var el = document.getElementById(id);
        if (!el) return;
        el.querySelectorAll("input").forEach(function (input) {
            input.value = value;
            input.dispatchEvent(new Event("input", {bubbles: true}));
        });
    }

    function keepGuidanceInStep(tab) {
        var prefix = "script_" + tab + "_handrefine_";
        var start = numberInput(prefix + "guidance_start");
        var end = numberInput(prefix + "guidance_end");
        if (!start || !end || start.dataset.handrefineBound) return;
        start.dataset.handrefineBound = "1";
        var check = function (moved) {
            var s = parseFloat(start.value), e = parseFloat(end.value);
            if (isNaN(s) || isNaN(e) || s <= e) return;
            if (moved === "start") setNumber(prefix + "guidance_end", s);
            else setNumber(prefix + "guidance_start", e);
        };
        var startBox = document.getElementById(prefix + "guidance_start");
        var endBox = document.getElementById(prefix + "guidance_end");
        startBox.addEventListener("change", function () { check("start"); });
        endBox.addEventListener("change", function () { check("end"); });
    }

    function dimWithoutModel(tab) {
        var prefix = "script_" + tab + "_handrefine_";
        var model = document.getElementById(prefix + "controlnet_model");
        if (!model) return;
        var value = "";
        var input = model.querySelector("input");
        if (input) value = input.value;
        var off = value === "None";
        ["control_weight", "guidance_start", "guidance_end", "control_mode"].forEach(function (name) {
            var el = document.getElementById(prefix + name);
            if (el) el.classList.toggle("handrefine-inactive", off);
        });
    }

    function update() {
        setHints(document);
        ["txt2img", "img2img"].forEach(function (tab) {
            keepGuidanceInStep(tab);
            dimWithoutModel(tab);
        });
    }

    if (typeof onUiUpdate === "function") {
        onUiUpdate(update);
    } else {
        document.addEventListener("DOMContentLoaded", update);
    }
})();
