using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests;

/// <summary>Tests that time a process's own shutdown: run alone (not beside the suites that load both cores), so a
/// bound measures the command, not the machine.</summary>
[CollectionDefinition(nameof(SerialProcessTests), DisableParallelization = true)]
public sealed class SerialProcessTests;

/// <summary>The standalone access command, its terminal closed (SIGHUP): the membership is removed before it exits.</summary>
[Collection(nameof(SerialProcessTests))]
public sealed class HangUpTests
{
    [Fact]
    public async Task Access_StandaloneRequest_TerminalClosed_SIGHUP_RemovesTheMemberBeforeExiting()
    {
        var data = Repo.NewDataDirectory();
        // As from a terminal: SIGHUP at its default disposition. A runner started under nohup (or any parent that ignores
        // SIGHUP) passes the ignore on to its children, and .NET keeps a signal ignored that it inherited ignored — as
        // `nohup approvals-local access request …` rightly should — so reset it for the command (coreutils env).
        var info = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, StandardOutputEncoding = System.Text.Encoding.UTF8 };
        foreach (var arg in new[] { "--default-signal=HUP", "dotnet", Repo.HostDll, "access", "request", "--resource", "Production", "--reason", "to debug production", "--duration", "600", "--auto-approve" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in TestSettings.Environment(data))
        {
            info.Environment[k] = v;
        }

        using var process = Process.Start(info)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var active = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
                if (line.StartsWith("done: access to Production until", StringComparison.Ordinal))
                {
                    active.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) => lines.Enqueue("stderr: " + e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await active.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var member = Local.Actions.FileGroups.Log(data).Select(c => c.Change).ToList();

            using (var hangUp = Process.Start("kill", ["-HUP", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await hangUp.WaitForExitAsync();
            }

            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90)); // ending access takes a few seconds; the bound is for a hang
            try
            {
                await process.WaitForExitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("the command did not exit within 90 s of SIGHUP; its output:\n" + string.Join("\n", lines));
            }

            Assert.Equal([Local.Actions.FileGroups.Added], member);
            Assert.True(process.ExitCode == 0, string.Join("\n", lines));
            Assert.Equal([Local.Actions.FileGroups.Added, Local.Actions.FileGroups.Removed], Local.Actions.FileGroups.Log(data).Select(c => c.Change));
            Assert.Contains(lines, l => l.StartsWith("access ended: ended early", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

}
