using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;
using Microsoft.Playwright;

namespace Approvals.EndToEnd.Tests;

/// <summary>The approver inbox in real Chromium: approve one petition, deny another, see both phases change and
/// both workflows finish; hostile text renders as text; forms without the anti-forgery token are refused.</summary>
public sealed class InboxBrowserTests
{
    static async Task<(string Id, string Petition)> RequestAsync(HostProcess host, string user, string reason)
    {
        host.Know(user);
        using var response = await host.Http.PostAsJsonAsync("api/password-resets", new { userId = user, reason });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        for (var i = 0; i < 200; i++)
        {
            using var view = JsonDocument.Parse(await host.Http.GetStringAsync($"api/approvals/{id}"));
            if (view.RootElement.TryGetProperty("petition", out var p) && p.ValueKind == JsonValueKind.String)
            {
                return (id, p.GetString()!);
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no petition");
    }

    static async Task<string> StatusEventuallyAsync(HostProcess host, string id, string status)
    {
        var last = "";
        for (var i = 0; i < 200; i++)
        {
            using var view = JsonDocument.Parse(await host.Http.GetStringAsync($"api/approvals/{id}"));
            last = view.RootElement.GetProperty("status").GetString()!;
            if (last == status)
            {
                return last;
            }

            await Task.Delay(100);
        }

        return last;
    }

    [Fact]
    public async Task Inbox_ApproveOneDenyAnother_PhasesChange_WorkflowsFinish()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        var approveMe = await RequestAsync(host, "erin", "locked out after holiday");
        var denyMe = await RequestAsync(host, "frank", "suspicious request");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(host.Inbox.ToString());
        var approveCard = page.Locator($"article[data-petition='{approveMe.Petition}']");
        var denyCard = page.Locator($"article[data-petition='{denyMe.Petition}']");
        await Assertions.Expect(approveCard).ToHaveAttributeAsync("data-phase", "open");
        await Assertions.Expect(approveCard).ToContainTextAsync("locked out after holiday");
        await Assertions.Expect(approveCard.Locator(".who")).ToHaveTextAsync($"helpdesk <{HostProcess.Caller}>"); // who asks (the directory person), for whom
        await Assertions.Expect(approveCard).ToContainTextAsync("Reset Password (user:erin)");
        await ActAsAsync(page, "alice@local");
        await approveCard.Locator("select[name=duration]").SelectOptionAsync("3h0m0s");
        await approveCard.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        await denyCard.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox");

        await Assertions.Expect(page.Locator($"article[data-petition='{approveMe.Petition}']")).ToHaveAttributeAsync("data-phase", "granted");
        await Assertions.Expect(page.Locator($"article[data-petition='{denyMe.Petition}']")).ToHaveAttributeAsync("data-phase", "closed");
        Assert.Equal("completed", await StatusEventuallyAsync(host, approveMe.Id, "completed"));
        Assert.Equal("denied", await StatusEventuallyAsync(host, denyMe.Id, "denied"));
        Assert.Equal("alice@local", await ApproverAsync(host, approveMe.Petition));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "approvals-inbox.png"), FullPage = true });

        // A reset is one-time: once it ran, the page shows it done, with nothing to revoke.
        await page.ReloadAsync();
        var done = page.Locator($"article[data-petition='{approveMe.Petition}']");
        await Assertions.Expect(done).ToHaveAttributeAsync("data-approval", "done");
        await Assertions.Expect(done.GetByRole(AriaRole.Button, new() { Name = "Revoke" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Inbox_ActiveAccess_RevokedFromThePage_AccessEnds()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        using var started = await host.Http.PostAsJsonAsync("api/access-requests", new { resource = "Production", reason = "to debug production", durationSeconds = 3600 });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(host.Inbox.ToString());
        await ActAsAsync(page, "alice@local");
        var card = page.Locator("article[data-phase=open]");
        await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        Assert.Equal("active", await StatusEventuallyAsync(host, id, "active"));
        await page.ReloadAsync();
        var granted = page.Locator("article[data-phase=granted]");
        await granted.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();

        await Assertions.Expect(page.Locator("article[data-phase=revoked]")).ToHaveCountAsync(1);
        Assert.Equal("completed", await StatusEventuallyAsync(host, id, "completed"));
    }

    static async Task ActAsAsync(IPage page, string approver)
    {
        await page.Locator("select[name=actor]").SelectOptionAsync(approver);
        await page.GetByRole(AriaRole.Button, new() { Name = "Switch" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        await Assertions.Expect(page.Locator("[data-acting-as]")).ToHaveAttributeAsync("data-acting-as", approver);
    }

    static async Task<string?> ApproverAsync(HostProcess host, string petition)
    {
        using var indent = host.IndentHttp();
        using var read = JsonDocument.Parse(await indent.GetStringAsync($"indent/v1/spaces/local/petitions/{petition}"));
        return read.RootElement.GetProperty("state").GetProperty("eventHistory").EnumerateArray()
            .Last(e => e.GetProperty("event").GetString() == "access/approve").GetProperty("actor").GetProperty("email").GetString();
    }

    [Fact]
    public async Task Inbox_ActingAsTheUserWhosePasswordItIs_GrantRefusedByFourEyes_NoReset()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        var request = await RequestAsync(host, "gina", "wants her own reset approved");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();

        await page.GotoAsync(host.Inbox.ToString());
        await ActAsAsync(page, "gina@local");
        await page.Locator($"article[data-petition='{request.Petition}']").GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        Assert.Equal("denied", await StatusEventuallyAsync(host, request.Id, "denied"));
        using var view = JsonDocument.Parse(await host.Http.GetStringAsync($"api/approvals/{request.Id}"));
        Assert.Contains("four eyes", view.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(Local.Actions.FileUserDirectory.Read(host.DataDirectory).ContainsKey("gina")); // the directory's log: no reset
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator($"article[data-petition='{request.Petition}']")).ToHaveAttributeAsync("data-phase", "revoked");
    }

    [Fact]
    public async Task Inbox_ScriptInReason_RendersAsText_NothingRuns()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        const string hostile = "<script>window.pwned=1;alert(1)</script><img src=x onerror=\"window.pwned=2\">\"'&";
        var request = await RequestAsync(host, "mallory", hostile);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, d) =>
        {
            dialogs++;
            _ = d.DismissAsync();
        };

        await page.GotoAsync(host.Inbox.ToString());
        var card = page.Locator($"article[data-petition='{request.Petition}']");

        Assert.Equal(hostile, (await card.Locator(".reason").TextContentAsync())?.Trim());
        Assert.Equal(0, await card.Locator("script, img").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.pwned"));
        Assert.Equal(0, dialogs);
    }

    [Fact]
    public async Task Inbox_PostWithoutAntiforgeryToken_Refused_NothingChanges()
    {
        await using var host = await HostProcess.StartAsync(Repo.NewDataDirectory());
        var request = await RequestAsync(host, "oscar", "cross-site attempt");

        // Signed in to the inbox (its session cookie), but the form carries no anti-forgery token: a cross-site post.
        using var post = new HttpRequestMessage(HttpMethod.Post, $"inbox/petitions/{request.Petition}/approve") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["duration"] = "" }) };
        post.Headers.Add("Cookie", host.InboxCookie);
        using var browserless = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var forged = await browserless.SendAsync(post);
        using var indent = host.IndentHttp();
        using var petition = JsonDocument.Parse(await indent.GetStringAsync($"indent/v1/spaces/local/petitions/{request.Petition}"));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal("open", petition.RootElement.GetProperty("state").GetProperty("status").GetProperty("phase").GetString());
    }
}
