using System.Net;
using Approvals.Core.Indent;
using Approvals.Local.Inbox;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Inbox;

/// <summary>The inbox approves, denies and revokes as anyone in the local directory, so it answers only whoever opened
/// the host's sign-in link: without it every inbox route is 401 and nothing is decided.</summary>
public sealed class InboxSignInTests
{
    [Fact]
    public async Task Inbox_WithoutTheSignInLink_401OnEveryRoute_NothingDecided()
    {
        await using var host = await TestHost.StartAsync();
        var id = await host.StartResetAsync("123");
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        using var stranger = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.Host.BaseAddress };
        using var wrongCookie = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.Host.BaseAddress };
        wrongCookie.DefaultRequestHeaders.Add("Cookie", InboxSession.CookieName + "=not-the-token");

        var attempts = new List<(string What, HttpResponseMessage Response)>
        {
            ("GET /inbox", await stranger.GetAsync("inbox")),
            ("GET /inbox with a wrong token", await stranger.GetAsync("inbox?token=guessed")),
            ("GET /inbox with a wrong cookie", await wrongCookie.GetAsync("inbox")),
            ("POST acting-as", await stranger.PostAsync("inbox/acting-as", new FormUrlEncodedContent(new Dictionary<string, string> { ["actor"] = "bob@local" }))),
            ("POST approve", await stranger.PostAsync($"inbox/petitions/{Uri.EscapeDataString(petition)}/approve", new FormUrlEncodedContent(new Dictionary<string, string>()))),
            ("POST approve with a wrong cookie", await wrongCookie.PostAsync($"inbox/petitions/{Uri.EscapeDataString(petition)}/approve", new FormUrlEncodedContent(new Dictionary<string, string>()))),
        };

        foreach (var (what, response) in attempts)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {(int)response.StatusCode}");
            Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith(InboxSession.CookieName, StringComparison.Ordinal)));
            response.Dispose();
        }

        Assert.Equal(IndentPhases.Open, (await host.Indent.GetPetitionAsync(petition)).Phase);
    }

    [Fact]
    public async Task Inbox_TheSignInLink_SetsASessionCookie_ThenThePageAnswers()
    {
        await using var host = await TestHost.StartAsync();
        var link = host.Host.Inbox;
        Assert.Contains("?token=", link.Query, StringComparison.Ordinal);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = host.Host.BaseAddress };

        using var signIn = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/inbox", signIn.Headers.Location?.OriginalString); // the token leaves the address bar
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith(InboxSession.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var page = await browser.GetAsync("inbox");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Approvals inbox", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
