package io.opsflow.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.Supplier;

import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Camunda Tasklist in a real browser (Debian chromium + chromium-driver, headless) for the form ITs: start, log in,
 * wait for elements, take screenshots into {@code docs/screenshots/tmp/} (the committed ones in docs/screenshots/
 * are copies of these), quit.
 */
public final class Tasklist implements AutoCloseable {
    public static final Path SHOTS = Path.of("docs/screenshots/tmp");
    public static final By START = By.xpath("//a[contains(normalize-space(.),'Start process')]");

    private final int port;
    private final Path profile;
    public final WebDriver browser;

    public Tasklist(int port) throws Exception {
        this.port = port;
        Path chromium = RealComponent.require("chromium", "apt-get install chromium", "/usr/bin/chromium");
        Path driver = RealComponent.require("chromedriver", "apt-get install chromium-driver",
                "/usr/bin/chromedriver");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toString());
        // The network here is closed: without the background-networking flags Chromium keeps trying Google's
        // hosts at start and while the page runs, which slows Tasklist's first load on a loaded CI machine.
        profile = Files.createTempDirectory("opsflow-chromium-");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=1400,1500");
        browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build(),
                options);
        browser.manage().window().setSize(new Dimension(1400, 1500));
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/camunda/app/tasklist/default/";
    }

    /** Polls until {@code find} returns a non-null, non-false value without throwing (no selenium-support here). */
    public <T> T until(String what, Supplier<T> find) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                T t = find.get();
                if (t != null && !Boolean.FALSE.equals(t)) {
                    return t;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
        try {
            shot("failed-" + what.replaceAll("[^a-z]", "") + ".png");
        } catch (Exception ignored) {
            // best effort
        }
        throw new AssertionError("timed out waiting for " + what + (last == null ? "" : ": " + last));
    }

    public WebElement visible(String what, By by) {
        return until(what, () -> browser.findElements(by).stream().filter(WebElement::isDisplayed).findFirst()
                .orElse(null));
    }

    /**
     * Logs in through Tasklist's own form. The form is an Angular view: on a loaded machine the inputs can be on the
     * page before Angular has bound them, and keys typed then are lost; so the values are checked before the click,
     * and a login that leaves us on the form is tried again (three attempts, each waiting up to a minute).
     */
    public void login(String user) {
        AssertionError last = null;
        for (int attempt = 1; attempt <= 3; attempt++) {
            browser.get(url() + "#/login");
            visible("login form", By.cssSelector("input[placeholder='Username'], input#username, input[name='username']"));
            try {
                // typed again until both values stick: keys typed before Angular binds the inputs (or a re-render
                // that replaces them) are lost, so a value seen once is not trusted until it is read back
                until("login form filled", () -> filled(user) ? true : null);
                browser.findElement(By.xpath("//button[normalize-space(.)='Log in'] | //button[@type='submit']"))
                        .click();
                until("tasklist after login", () -> browser.findElements(START).isEmpty() ? null : true);
                return;
            } catch (AssertionError | RuntimeException e) {
                last = e instanceof AssertionError a ? a : new AssertionError(e);
                System.err.println("Tasklist: login attempt " + attempt + " as " + user + " did not reach Tasklist ("
                        + browser.getCurrentUrl() + "): " + e.getMessage() + "; trying again");
            }
        }
        throw last;
    }

    /** Fills the login form when a field does not hold {@code user}; true when both hold it. */
    private boolean filled(String user) {
        WebElement name = browser.findElement(
                By.cssSelector("input[placeholder='Username'], input#username, input[name='username']"));
        WebElement password = browser.findElement(By.cssSelector("input[type='password']"));
        if (user.equals(name.getAttribute("value")) && user.equals(password.getAttribute("value"))) {
            return true;
        }
        name.clear();
        name.sendKeys(user);
        password.clear();
        password.sendKeys(user);
        return false;
    }

    /**
     * Sets a form field to {@code value} and waits until it reads back: select-all + delete + type, again until it
     * sticks ({@code clear()} alone does not always reach an Angular-bound input, and a value typed before the form is
     * bound is lost: "staging" + "production" became "stagingproduction").
     */
    public void fill(String what, Supplier<WebElement> field, String value) {
        until(what + " = " + value, () -> {
            WebElement f = field.get();
            if (value.equals(f.getAttribute("value"))) {
                return true;
            }
            f.sendKeys(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, "a"));
            f.sendKeys(org.openqa.selenium.Keys.DELETE);
            f.sendKeys(value);
            return null;
        });
    }

    /** Start process → the process named {@code name} (found through the dialog's search box). */
    public void openStartForm(String search, String name) {
        visible("start process link", START).click();
        WebElement box = visible("process search",
                By.cssSelector(".modal-content input[type='text'], .modal-content input[type='search']"));
        box.sendKeys(search);
        visible(name + " in the list",
                By.xpath("//*[contains(@class,'modal')]//a[contains(normalize-space(.),'" + name + "')]")).click();
    }

    public WebElement startButton() {
        return visible("start button", By.xpath("//*[contains(@class,'modal')]//button[normalize-space(.)='Start']"));
    }

    public void shot(String name) throws Exception {
        Files.createDirectories(SHOTS);
        Files.write(SHOTS.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Override
    public void close() {
        try {
            browser.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (Exception ignored) {
                // a temp dir left behind is harmless
            }
        }
    }
}
