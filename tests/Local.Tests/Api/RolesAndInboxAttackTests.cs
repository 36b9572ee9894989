using System.Net;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Inbox;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Api;

/// <summary>Security review: role combinations on someone else's approval, and ways around the inbox's sign-in.</summary>
public sealed class RolesAndInboxAttackTests
{
    /// <summary>Holding Approvals.Request next to Admin or Audit does not make someone else's approval one's own: the
    /// password goes to its requester only, and an auditor (even one who may request) cannot cancel.</summary>
    [Fact]
    public async Task Attack_RequestRoleCombinedWithAdminOrAudit_CannotCollectOrCancelAnothersApproval()
    {
        await using var host = await TestHost.StartAsync();
        var done = await host.StartResetAsync("123");
        var petition = (await host.WaitForPetitionAsync(done)).Petition!;
        host.ApproveAsAPerson(petition);
        await host.WaitForStatusAsync(done, ApprovalStatuses.Completed, 30_000);
        var pending = await host.StartResetAsync("alice");
        await host.WaitForPetitionAsync(pending);

        using var adminRequester = host.As("mallory@local", ApprovalsRoles.Admin, ApprovalsRoles.Request);
        using var auditRequester = host.As("trent@local", ApprovalsRoles.Audit, ApprovalsRoles.Request);

        using var adminTakes = await adminRequester.PostAsync($"api/approvals/{done}/credential", null);
        using var auditTakes = await auditRequester.PostAsync($"api/approvals/{done}/credential", null);
        using var auditCancels = await auditRequester.PostAsync($"api/approvals/{pending}/cancel", null);

        Assert.Equal(HttpStatusCode.Forbidden, adminTakes.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, auditTakes.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, auditCancels.StatusCode);
        using var mine = await host.Http.PostAsync($"api/approvals/{done}/credential", null);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode); // still there for its requester: nobody else took it
        using var cancel = await host.Http.PostAsync($"api/approvals/{pending}/cancel", null);
    }

    /// <summary>The sign-in token is good only on a GET that trades it for the cookie: on a POST it decides nothing; other
    /// spellings of the inbox path (case, trailing slash, dot segments, encoded slash) answer 401 without the cookie.</summary>
    [Fact]
    public async Task Attack_InboxTokenOnAPost_OrAnotherSpellingOfThePath_401_NothingDecided()
    {
        await using var host = await TestHost.StartAsync();
        var id = await host.StartResetAsync("123");
        var petition = Uri.EscapeDataString((await host.WaitForPetitionAsync(id)).Petition!);
        var token = InboxSession.Open(host.DataDirectory).Token;
        using var stranger = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = host.Host.BaseAddress };
        var empty = new Dictionary<string, string> { ["reason"] = "x" };

        var attempts = new List<(string What, HttpResponseMessage Response)>
        {
            ("POST approve with the token in the query", await stranger.PostAsync($"inbox/petitions/{petition}/approve?token={token}", new FormUrlEncodedContent(empty))),
            ("POST approve, upper-case path", await stranger.PostAsync($"INBOX/petitions/{petition}/approve", new FormUrlEncodedContent(empty))),
            ("POST approve, dot segment", await stranger.PostAsync($"x/../inbox/petitions/{petition}/approve", new FormUrlEncodedContent(empty))),
            ("POST approve, encoded slash", await stranger.PostAsync($"inbox%2Fpetitions%2F{petition}%2Fapprove", new FormUrlEncodedContent(empty))),
            ("POST approve, token twice", await stranger.PostAsync($"inbox/petitions/{petition}/approve?token={token}&token={token}", new FormUrlEncodedContent(empty))),
            ("GET with the token twice", await stranger.GetAsync($"inbox?token={token}&token={token}")),
            ("GET with the token and whitespace", await stranger.GetAsync($"inbox?token=%20{token}")),
        };

        foreach (var (what, response) in attempts)
        {
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, $"{what}: {(int)response.StatusCode}");
            response.Dispose();
        }

        Assert.Equal(IndentPhases.Open, (await host.Indent.GetPetitionAsync(Uri.UnescapeDataString(petition))).Phase);
    }
}
