using System.Text.RegularExpressions;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;

namespace Approvals.Local.Tests.Inbox;

/// <summary>The inbox tells a finished one-time action from a live grant: a completed password reset is shown done,
/// with nothing to revoke; access in force keeps its Revoke.</summary>
public sealed partial class InboxStatusTests
{
    [Fact]
    public async Task Inbox_CompletedReset_ShownDoneWithoutRevoke_ActiveAccessKeepsRevoke()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0.2);
        var reset = await host.StartResetAsync();
        var access = await host.StartAccessAsync(3600, http: host.As("alice@local"));
        var done = await host.WaitForStatusAsync(reset, ApprovalStatuses.Completed);
        var active = await host.WaitForStatusAsync(access, ApprovalStatuses.Active);

        using var browser = new HttpClient { BaseAddress = host.Host.BaseAddress }; // keeps the session cookie the sign-in link sets
        var page = await browser.GetStringAsync(host.Host.Inbox);

        var resetCard = Card(page, done.Petition!);
        Assert.Contains("data-approval=\"done\"", resetCard, StringComparison.Ordinal);
        Assert.DoesNotContain("/revoke\"", resetCard, StringComparison.Ordinal);
        var accessCard = Card(page, active.Petition!);
        Assert.Contains("/revoke\"", accessCard, StringComparison.Ordinal);
    }

    static string Card(string page, string petition)
    {
        var match = Regex.Match(page, $"<article[^>]*data-petition=\"{Regex.Escape(petition)}\".*?</article>", RegexOptions.Singleline);
        Assert.True(match.Success, $"no card for {petition}");
        return match.Value;
    }
}
