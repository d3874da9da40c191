package io.drover.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's headless Chromium driven by Selenium through
 * chromedriver. Sign-in, the runs list and its filters, a run's page, cancel and replay, live
 * updates without reload (runs, a workflow run, the agents list), and every page without console
 * errors. Run alone with {@code mvn -pl server test -Dgroups=browser}; with
 * {@code -Ddrover.screenshots=DIR} it also saves screenshots of the main pages (docs/screenshots). Skipped, with a message, only where
 * chromedriver is not installed and this is not CI (CI installs it: .ci/run).
 */
@Tag("browser")
@DroverTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static TestServer server;
    static Api admin;
    static WebDriver driver;
    static Path profile;
    static String agentId;

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM);
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(present, "browser tests skipped: no " + CHROMEDRIVER + " or " + CHROMIUM
                    + " here (install them with `apt-get install -y chromium chromium-driver`; CI does)");
        } else {
            assertThat(present).as("CI must have chromium and chromium-driver (.ci/run installs them)").isTrue();
        }
        admin = new Api(server);
        assertThat(UiKit.usersCreate(server, UiKit.PASSWORD, "--email", "owner@example.com", "--role", "owner",
                "--password-stdin")).isZero();
        assertThat(admin.post("/v1/jobs", Map.of("slug", "send-email", "queue", "emails", "max_attempts", 1))
                .status()).isEqualTo(201);
        assertThat(admin.post("/v1/jobs", Map.of("slug", "resize-image", "queue", "images")).status())
                .isEqualTo(201);
        profile = Files.createTempDirectory("drover-chromium");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,900", "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (driver != null) {
            driver.quit();
        }
    }

    static String trigger(String job, Object payload) {
        var r = admin.post("/v1/jobs/" + job + "/trigger", Map.of("payload", payload));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    static void open(String path) {
        driver.get(server.baseUrl() + path);
    }

    /** Waits for a condition; live swaps replace elements under it, so a stale element is tried again. */
    static WebDriverWait await() {
        WebDriverWait w = new WebDriverWait(driver, Duration.ofSeconds(15));
        w.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        // htmx swaps nodes while a poll reads them: Chromium then answers "Node with given id does not
        // belong to the document" (an unknown error, not a stale reference); the next poll reads anew.
        w.ignoring(org.openqa.selenium.WebDriverException.class);
        return w;
    }

    static List<String> consoleErrors() {
        List<String> out = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                out.add(e.getMessage());
            }
        }
        return out;
    }

    static void screenshot(String name) throws Exception {
        String dir = System.getProperty("drover.screenshots");
        if (dir == null || dir.isBlank()) {
            return;
        }
        Path target = Path.of(dir).resolve(name + ".png");
        Files.createDirectories(target.getParent());
        Files.write(target, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    @Order(1)
    void signsInFromTheRedirectAndPaintsWithinASecond() throws Exception {
        open("/ui/runs");
        await().until(ExpectedConditions.urlContains("/ui/login"));
        screenshot("login");
        driver.findElement(By.name("email")).sendKeys("owner@example.com");
        driver.findElement(By.name("password")).sendKeys(UiKit.PASSWORD);
        driver.findElement(By.cssSelector("button[type=submit]")).click();
        await().until(ExpectedConditions.urlMatches(".*/ui/runs$"));
        assertThat(driver.findElement(By.tagName("h1")).getText()).isEqualTo("Runs");
        assertThat(driver.findElement(By.className("who")).getText()).contains("owner@example.com");
        open("/ui/runs"); // a plain navigation: the sign-in's password hash is not the page's paint
        // The paint entry is recorded once the page has painted, which may be after the load returns.
        Object paint = await().until(d -> ((JavascriptExecutor) d).executeScript(
                "const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;"));
        assertThat(paint).as("first contentful paint").isNotNull();
        assertThat(((Number) paint).doubleValue()).as("first paint in ms").isLessThan(1000);
    }

    @Test
    @Order(2)
    void theRunsListFiltersAndOpensARun() throws Exception {
        String mail = trigger("send-email", Map.of("to", "ada@example.com"));
        String image = trigger("resize-image", Map.of("url", "https://example.com/a.png"));
        open("/ui/runs");
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + mail + "']"))).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + image + "']"))).hasSize(1);
        driver.findElement(By.name("job")).sendKeys("resize-image");
        driver.findElement(By.cssSelector("form.filters button[type=submit]")).click();
        await().until(ExpectedConditions.urlContains("job=resize-image"));
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + image + "']"))).hasSize(1);
        assertThat(driver.findElements(By.cssSelector("tr[data-run='" + mail + "']"))).isEmpty();
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.name("status"))).selectByValue("completed");
        driver.findElement(By.cssSelector("form.filters button[type=submit]")).click();
        await().until(ExpectedConditions.urlContains("status=completed"));
        assertThat(driver.findElement(By.id("no-runs")).getText()).contains("No runs match");
        open("/ui/runs");
        screenshot("runs");
        driver.findElement(By.cssSelector("tr[data-run='" + mail + "'] a")).click();
        await().until(ExpectedConditions.urlContains("/ui/runs/" + mail));
        assertThat(driver.findElement(By.id("payload")).getText()).contains("ada@example.com");
        assertThat(driver.findElement(By.id("timeline")).getText()).contains("created");
        screenshot("run");
    }

    @Test
    @Order(3)
    void cancelAndReplayFromTheRunPage() {
        String run = trigger("send-email", Map.of("to", "cancel@example.com"));
        open("/ui/runs/" + run);
        driver.findElement(By.id("cancel")).click();
        driver.switchTo().alert().accept(); // hx-confirm
        await().until(d -> d.findElement(By.cssSelector("h1 .status")).getText().equals("canceled"));
        assertThat(admin.get("/v1/runs/" + run).json().get("status").asText()).isEqualTo("canceled");
        driver.findElement(By.id("replay")).click();
        driver.switchTo().alert().accept();
        await().until(d -> !d.getCurrentUrl().endsWith(run));
        String replayed = driver.getCurrentUrl().substring(driver.getCurrentUrl().lastIndexOf('/') + 1);
        assertThat(admin.get("/v1/runs/" + replayed).json().get("status").asText()).isEqualTo("queued");
        await().until(d -> d.findElement(By.cssSelector("h1 .status")).getText().equals("queued"));
    }

    @Test
    @Order(4)
    void theListAndARunPageUpdateLiveWithoutReload() {
        open("/ui/runs?job=send-email");
        JavascriptExecutor js = (JavascriptExecutor) driver;
        js.executeScript("window.droverNoReload = true;");
        // wait for the stream to be open (htmx's SSE extension fires htmx:sseOpen; the server sends ': live')
        await().until(d -> Boolean.TRUE.equals(js.executeScript(
                "const m = document.getElementById('main'); const s = m && htmx.find && m['htmx-internal-data'];"
                        + " return !!(s && s.sseEventSource && s.sseEventSource.readyState === 1);")));
        String run = trigger("send-email", Map.of("to", "live@example.com"));
        await().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-run='" + run + "']")));
        assertThat(js.executeScript("return window.droverNoReload === true;")).isEqualTo(true);

        open("/ui/runs/" + run);
        js.executeScript("window.droverNoReload = true;");
        await().until(d -> Boolean.TRUE.equals(js.executeScript(
                "const s = document.getElementById('main')['htmx-internal-data'];"
                        + " return !!(s && s.sseEventSource && s.sseEventSource.readyState === 1);")));
        var claimed = admin.post("/v1/worker/claim", Map.of("worker_id", "browser-worker", "queues",
                List.of("emails"), "max", 50));
        assertThat(claimed.status()).isEqualTo(200);
        await().until(d -> d.findElement(By.cssSelector("h1 .status")).getText().equals("executing"));
        assertThat(admin.post("/v1/runs/" + run + "/complete", Map.of("worker_id", "browser-worker",
                "result", Map.of("message_id", "m-1"))).status()).isEqualTo(200);
        await().until(d -> d.findElement(By.cssSelector("h1 .status")).getText().equals("completed"));
        assertThat(driver.findElement(By.id("result")).getText()).contains("m-1");
        assertThat(js.executeScript("return window.droverNoReload === true;")).isEqualTo(true);
    }

    @Test
    @Order(5)
    void aWorkflowRunsDagShowsEachStepLiveAndApprovesAStep() throws Exception {
        var created = admin.post("/v1/workflows", Map.of("slug", "onboard", "steps", List.of(
                Map.of("id", "welcome", "job", "send-email"),
                Map.of("id", "avatar", "job", "resize-image", "depends_on", List.of("welcome")),
                Map.of("id", "review", "type", "approval", "depends_on", List.of("welcome")),
                Map.of("id", "activate", "job", "send-email", "depends_on", List.of("avatar", "review")))));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String wf = admin.post("/v1/workflows/onboard/trigger", Map.of("input", Map.of("user", "ada"))).json()
                .get("id").asText();
        open("/ui/workflow-runs/" + wf);
        JavascriptExecutor js = (JavascriptExecutor) driver;
        assertThat(driver.findElements(By.cssSelector("#dag g.step"))).hasSize(4);
        assertThat(driver.findElements(By.cssSelector("#dag path"))).hasSize(4);
        assertThat(driver.findElement(By.cssSelector("#dag g[data-step='welcome']")).getAttribute("data-status"))
                .isEqualTo("running");
        await().until(d -> Boolean.TRUE.equals(js.executeScript(
                "const s = document.getElementById('main')['htmx-internal-data'];"
                        + " return !!(s && s.sseEventSource && s.sseEventSource.readyState === 1);")));
        String welcomeRun = null;
        for (var step : admin.get("/v1/workflow-runs/" + wf).json().get("steps")) {
            if (step.get("step_id").asText().equals("welcome")) {
                welcomeRun = step.get("run_id").asText();
            }
        }
        assertThat(welcomeRun).isNotNull();
        var claimed = admin.post("/v1/worker/claim", Map.of("worker_id", "wf-worker", "queues", List.of("emails"),
                "max", 100));
        assertThat(claimed.text()).contains(welcomeRun);
        assertThat(admin.post("/v1/runs/" + welcomeRun + "/complete", Map.of("worker_id", "wf-worker")).status())
                .isEqualTo(200);
        await().until(d -> "completed".equals(d.findElement(By.cssSelector("#dag g[data-step='welcome']"))
                .getAttribute("data-status")));
        await().until(d -> "waiting".equals(d.findElement(By.cssSelector("#dag g[data-step='review']"))
                .getAttribute("data-status")));
        screenshot("workflow-run");
        driver.findElement(By.cssSelector("button[data-approve='review']")).click();
        driver.switchTo().alert().accept();
        await().until(d -> "completed".equals(d.findElement(By.cssSelector("#dag g[data-step='review']"))
                .getAttribute("data-status")));
        assertThat(admin.get("/v1/workflow-runs/" + wf).text()).contains("\"review\"");
    }

    @Test
    @Order(6)
    void theAgentsListFollowsAnAgentComingOnlineWithoutReload() {
        var made = admin.post("/v1/agents", Map.of("name", "browser-agent"));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        agentId = made.json().get("id").asText();
        Api agent = new Api(server.baseUrl(), made.json().get("token").asText());
        open("/ui/agents");
        JavascriptExecutor js = (JavascriptExecutor) driver;
        js.executeScript("window.droverNoReload = true;");
        assertThat(driver.findElement(By.cssSelector("tr[data-agent='" + agentId + "']")).getAttribute("data-state"))
                .isEqualTo("unknown");
        await().until(d -> Boolean.TRUE.equals(js.executeScript(
                "const s = document.getElementById('main')['htmx-internal-data'];"
                        + " return !!(s && s.sseEventSource && s.sseEventSource.readyState === 1);")));
        assertThat(agent.post("/v1/agent/hello", Map.of("protocol_version", 1, "framework", "celery",
                "engines", List.of("celery"), "schedulers", List.of("beat"), "capabilities", List.of(),
                "metadata", Map.of())).status()).isEqualTo(200);
        await().until(d -> "online".equals(d.findElement(By.cssSelector("tr[data-agent='" + agentId + "']"))
                .getAttribute("data-state")));
        assertThat(js.executeScript("return window.droverNoReload === true;")).isEqualTo(true);
        assertThat(agent.post("/v1/agent/events", Map.of("events", List.of(Map.of("seq", 1, "type", "task_failed",
                "task", Map.of("external_id", "c-1", "engine", "celery", "name", "mail.send", "queue", "mail"),
                "error", Map.of("type", "SMTPError", "message", "connection refused")))))
                .status()).isEqualTo(200);
        assertThat(agent.post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", "digest",
                "scheduler", "beat", "task", "mail.digest", "type", "cron", "expression", "0 8 * * *",
                "enabled", true)))).status()).isEqualTo(200);
    }

    @Test
    @Order(9)
    void everyPageLoadsWithoutConsoleErrors() throws Exception {
        String run = trigger("send-email", Map.of("to", "pages@example.com"));
        consoleErrors(); // drop what earlier tests left
        List<String> pages = new ArrayList<>();
        open("/ui/");
        for (WebElement a : driver.findElements(By.cssSelector("header nav a"))) {
            pages.add(a.getAttribute("href"));
        }
        assertThat(pages).hasSizeGreaterThanOrEqualTo(2);
        pages.add(server.baseUrl() + "/ui/runs/" + run);
        if (agentId != null) {
            pages.add(server.baseUrl() + "/ui/agents/" + agentId);
        }
        List<String> failures = new ArrayList<>();
        for (String page : pages) {
            driver.get(page);
            await().until(d -> ((JavascriptExecutor) d).executeScript("return document.readyState").equals("complete"));
            assertThat(driver.findElements(By.tagName("h1"))).as(page).isNotEmpty();
            for (String e : consoleErrors()) {
                failures.add(page + ": " + e);
            }
            String name = page.replace(server.baseUrl() + "/ui/", "").replaceAll("[^a-z-]", "");
            if (!page.contains("/ui/runs/") && !page.contains("/ui/agents/")) {
                screenshot(name.isEmpty() ? "overview" : name);
            }
        }
        assertThat(failures).as(String.join("\n", failures)).isEmpty();
    }
}
