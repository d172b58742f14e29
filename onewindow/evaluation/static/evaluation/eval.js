// The rate page records whether it was used on a phone (评价渠道：移动端 / 网页).
document.addEventListener("DOMContentLoaded", function () {
  var small = window.matchMedia("(pointer: coarse)").matches || window.innerWidth < 768;
  document.querySelectorAll("input[name=device]").forEach(function (el) {
    el.value = small ? "mobile" : "pc";
  });
});
