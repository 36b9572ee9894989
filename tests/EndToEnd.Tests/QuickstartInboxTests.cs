using System.Diagnostics;
using System.Text;
using Approvals.EndToEnd.Tests.Support;
using Microsoft.Playwright;

namespace Approvals.EndToEnd.Tests;

/// <summary>The README's main command without --auto-approve: it waits, prints the inbox link, a person approves in
/// the browser, and it finishes with the seed's lines.</summary>
public sealed class QuickstartInboxTests
{
    [Fact]
    public async Task ResetPassword_WithoutAutoApprove_ApprovedInTheInbox_Finishes()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var arg in new[] { Repo.HostDll, "reset-password", "--user", "123", "--reason", "to recover account" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in TestSettings.Environment(Repo.NewDataDirectory()))
        {
            info.Environment[k] = v;
        }

        using var cli = Process.Start(info)!;
        // Every read is bounded, and whatever happens the CLI does not outlive the test.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var killOnTimeout = bound.Token.Register(() => { try { cli.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        try
        {
            await RunAsync(cli, bound.Token);
        }
        finally
        {
            if (!cli.HasExited)
            {
                cli.Kill(entireProcessTree: true);
            }
        }
    }

    static async Task RunAsync(Process cli, CancellationToken bound)
    {
        var lines = new List<string>();
        string? inbox = null;
        while (inbox is null && await cli.StandardOutput.ReadLineAsync(bound) is { } line)
        {
            lines.Add(line);
            const string prefix = "↳ An approver can decide at ";
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                inbox = line[prefix.Length..];
            }
        }

        Assert.NotNull(inbox);
        var (playwright, browser) = await Browser.LaunchAsync();
        using (playwright)
        await using (browser)
        {
            var page = await browser.NewPageAsync();
            await page.GotoAsync(inbox);
            await page.Locator("article[data-phase=open]").GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        }

        var rest = await cli.StandardOutput.ReadToEndAsync(bound);
        await cli.WaitForExitAsync(bound);
        lines.AddRange(rest.Split('\n').Select(l => l.TrimEnd('\r')));

        Assert.Equal(0, cli.ExitCode);
        Assert.Equal("asking to reset the password of sam@local (user 123)", lines[0]);
        Assert.StartsWith("⏵ Requested approval #local/", lines[1], StringComparison.Ordinal);
        Assert.Contains("✅ Granted", lines);
        Assert.Contains("done: password reset user:123", lines);
        Assert.Single(lines, l => l.StartsWith("temporary password for user:123: ", StringComparison.Ordinal));
    }
}
