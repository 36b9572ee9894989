using System.Diagnostics;
using System.Text;

namespace Approvals.EndToEnd.Tests.Support;

/// <summary>Runs documentation's shell blocks in bash, from the repository root, as a reader pastes them.</summary>
public static class Shell
{
    public sealed record Result(int ExitCode, string Output, string Error);

    static ProcessStartInfo Bash(string script, Dictionary<string, string> environment, bool strict)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Repo.Root, StandardOutputEncoding = Encoding.UTF8 };
        if (strict)
        {
            // A failing command fails the block, as a reader would notice it.
            info.ArgumentList.Add("-e");
            info.ArgumentList.Add("-o");
            info.ArgumentList.Add("pipefail");
        }

        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        return info;
    }

    /// <summary>Runs <paramref name="script"/> to the end, bounded by <paramref name="timeout"/> (then killed, and a
    /// <see cref="TimeoutException"/> with what it printed).</summary>
    public static async Task<Result> RunAsync(string script, Dictionary<string, string> environment, TimeSpan timeout)
    {
        var (code, stdout, stderr) = await Cli.RunToEndAsync(Bash(script, environment, strict: true), timeout, "the block\n" + script + "\n");
        return new Result(code, stdout, stderr);
    }

    /// <summary>Starts a long-running block (a host in a terminal of its own); disposing kills it and its children.</summary>
    public static Background Start(string script, Dictionary<string, string> environment) => new(Process.Start(Bash(script, environment, strict: false))!);

    public sealed class Background : IAsyncDisposable
    {
        readonly Process process;
        readonly StringBuilder output = new();

        internal Background(Process process)
        {
            this.process = process;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }

        /// <summary>Waits, bounded, until <paramref name="health"/> answers 2xx; throws with the output if the process
        /// ends or the bound passes first.</summary>
        public async Task WaitForHealthAsync(Uri health, TimeSpan bound)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var until = DateTime.UtcNow + bound;
            while (DateTime.UtcNow < until)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"the block ended with {process.ExitCode}:\n{Output}");
                }

                try
                {
                    using var response = await http.GetAsync(health);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(100);
            }

            throw new TimeoutException($"{health} did not answer within {bound}:\n{Output}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }
    }
}
